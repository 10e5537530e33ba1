public import Logging
import Glibc

/// Logs one line per request at `info`: method, path, status, duration and request id.
public struct AccessLogMiddleware: Middleware {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        let start = monotonicNow()
        let response = try next(request)
        let ms = (monotonicNow() - start) * 1000
        logger.info("\(request.method.rawValue) \(request.path) \(response.status.code)", metadata: [
            "duration_ms": "\((ms * 1000).rounded() / 1000)",
            "request_id": "\(request.requestID)",
            "remote": "\(request.remoteAddress)",
        ])
        return response
    }
}
