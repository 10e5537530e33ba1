import Primitives
/// Gives every request an id: a sane incoming `X-Request-ID` is kept, otherwise a random one
/// is generated; the id is echoed in the response's `X-Request-ID` (also on the answer to an error
/// thrown through it).
public struct RequestIDMiddleware: Middleware {
    public init() {}

    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        var request = request
        if let incoming = request.headers["X-Request-ID"], Self.isAcceptable(incoming) {
            request.requestID = incoming
        } else {
            request.requestID = Self.generate()
        }
        let id = request.requestID
        let edit: @Sendable (inout Response) -> Void = { $0.headers.set("X-Request-ID", id) }
        do {
            var response = try next(request)
            edit(&response)
            return response
        } catch {
            throw EditedHTTPError(error, edit: edit)
        }
    }

    /// 1–128 characters from `[A-Za-z0-9._:-]`, so that the id cannot inject anything into logs.
    static func isAcceptable(_ id: String) -> Bool {
        let u = id.utf8
        guard !u.isEmpty, u.count <= 128 else { return false }
        return u.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == 0x2E || b == 0x5F || b == 0x3A || b == 0x2D
        }
    }

    /// 128 random bits as 32 hex digits (unique, not secret).
    static func generate() -> String {
        let rng = FastRandom.current  // per thread, seeded from the system: no system call per request
        let hi = rng.next(), lo = rng.next()
        return String(unsafeUninitializedCapacity: 32) { out in
            let digits: StaticString = "0123456789abcdef"
            for i in 0..<16 {
                out[i] = digits.utf8Start[Int((hi >> UInt64(60 - 4 * i)) & 15)]
                out[16 + i] = digits.utf8Start[Int((lo >> UInt64(60 - 4 * i)) & 15)]
            }
            return 32
        }
    }
}
