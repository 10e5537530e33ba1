public import Logging
import Glibc
import Primitives

/// Logs one line per request at `info`: method, path (as sent, still percent-encoded, so that a `%0A`
/// never becomes a new line in the log), status, duration and request id. An error
/// thrown through it is logged with the status it will be answered with; when that is a 5xx, its
/// description (which the client never sees; its `debugDescription` when it has one) is logged too,
/// at `error`, with the request id.
public struct AccessLogMiddleware: Middleware {
    let logger: Logger
    /// The logger's handler, when it writes access lines itself (set once: a cast per request costs).
    let writer: (any AccessLineWriter)?

    public init(logger: Logger) {
        self.logger = logger
        writer = logger.handler as? any AccessLineWriter
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
                    "path": "\(request.rawPath)",
                ])
            }
            throw error
        }
    }

    private func logRequest(_ request: Request, status: Int, start: Double) {
        let micros = Int(((monotonicNow() - start) * 1_000_000).rounded())
        if let writer, writer.writeAccessLine(method: request.method.rawValue, rawPath: request.rawPath, status: status,
                                              micros: micros, requestID: request.requestID,
                                              remote: request.remoteAddress) { return }
        logger.info("\(request.method.rawValue) \(request.rawPath) \(status)", metadata: [
            "duration_ms": .string(Self.milliseconds(micros)),
            "request_id": .string(request.requestID),
            "remote": .string(request.remoteAddress),
        ])
    }

    /// Microseconds as milliseconds with three decimals (`1234` → `1.234`), without Double formatting.
    public static func milliseconds(_ micros: Int) -> String {
        var out: [UInt8] = []
        appendMilliseconds(micros, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `milliseconds(micros)` appended to `out`.
    public static func appendMilliseconds(_ micros: Int, into out: inout [UInt8]) {
        let v = max(0, micros)
        let whole = v / 1_000, fraction = v % 1_000
        DecimalText.append(Int64(whole), to: &out)
        out.append(UInt8(ascii: "."))
        out.append(0x30 + UInt8(fraction / 100))
        out.append(0x30 + UInt8(fraction / 10 % 10))
        out.append(0x30 + UInt8(fraction % 10))
    }
}

/// A log handler that can write an access line itself: the line `Logger.info` would write for the
/// message `<method> <raw path> <status>` with the metadata `duration_ms` (`milliseconds(micros)`),
/// `request_id` and `remote`, from source `HTTPServer`, without a message string and a metadata
/// dictionary built per request. Returns false to leave the line to `Logger.info` (a level above
/// `info`, a format it does not write this way).
public protocol AccessLineWriter: LogHandler {
    func writeAccessLine(method: String, rawPath: String, status: Int, micros: Int, requestID: String, remote: String) -> Bool
}
