public import Logging
import Glibc

/// Logs one line per request at `info`: method, path, status, duration and request id. An error
/// thrown through it is logged with the status it will be answered with; when that is a 5xx, its
/// description (which the client never sees; its `debugDescription` when it has one) is logged too,
/// at `error`, with the request id.
public struct AccessLogMiddleware: Middleware {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        let start = monotonicNow()
        do {
            let response = try next(request)
            logRequest(request, status: response.status.code, start: start)
            return response
        } catch {
            let status = Router.status(for: error).code
            logRequest(request, status: status, start: start)
            if status >= 500 {
                logger.error("request failed: \(String(reflecting: error))", metadata: [
                    "status": "\(status)",
                    "request_id": "\(request.requestID)",
                    "method": "\(request.method.rawValue)",
                    "path": "\(request.path)",
                ])
            }
            throw error
        }
    }

    private func logRequest(_ request: Request, status: Int, start: Double) {
        let ms = (monotonicNow() - start) * 1000
        logger.info("\(request.method.rawValue) \(request.path) \(status)", metadata: [
            "duration_ms": "\((ms * 1000).rounded() / 1000)",
            "request_id": "\(request.requestID)",
            "remote": "\(request.remoteAddress)",
        ])
    }
}
