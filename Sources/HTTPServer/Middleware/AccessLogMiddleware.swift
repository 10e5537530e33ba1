public import Logging
import Glibc

/// Logs one line per request at `info`: method, path (as sent, still percent-encoded, so that a `%0A`
/// never becomes a new line in the log), status, duration and request id. An error
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
                    "path": "\(request.rawPath)",
                ])
            }
            throw error
        }
    }

    private func logRequest(_ request: Request, status: Int, start: Double) {
        let micros = Int(((monotonicNow() - start) * 1_000_000).rounded())
        logger.info("\(request.method.rawValue) \(request.rawPath) \(status)", metadata: [
            "duration_ms": .string(Self.milliseconds(micros)),
            "request_id": .string(request.requestID),
            "remote": .string(request.remoteAddress),
        ])
    }

    /// Microseconds as milliseconds with three decimals (`1234` → `1.234`), without Double formatting.
    static func milliseconds(_ micros: Int) -> String {
        var v = max(0, micros)
        return String(unsafeUninitializedCapacity: 24) { out in
            var digits = 0
            var reversed: (UInt64, UInt64, UInt64) = (0, 0, 0)   // up to 24 digits, least significant first
            withUnsafeMutableBytes(of: &reversed) { r in
                repeat {
                    r[digits] = UInt8(0x30 + v % 10)
                    v /= 10
                    digits += 1
                } while v > 0 && digits < 24
                while digits < 4 { r[digits] = 0x30; digits += 1 }   // at least 0.xxx
            }
            var n = 0
            withUnsafeBytes(of: reversed) { r in
                for i in stride(from: digits - 1, through: 0, by: -1) {
                    if i == 2 { out[n] = UInt8(ascii: "."); n += 1 }
                    out[n] = r[i]
                    n += 1
                }
            }
            return n
        }
    }
}
