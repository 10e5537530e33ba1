/// Adds `Access-Control-Allow-Origin` to responses for allowed origins (also to the answer to an
/// error thrown through it) and answers CORS preflight requests (`OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`) with 204.
///
/// With an allow-list, the request's own `Origin` is echoed when listed (with `Vary: Origin`) and
/// nothing is added for other origins, so their browsers refuse the response; `*` allows any.
public struct CORSMiddleware: Middleware {
    let allowedOrigins: Set<String>
    let allowAny: Bool
    let allowMethods: String
    let maxAge: Int

    /// Any origin (`*`) or exactly one.
    public init(allowOrigin: String = "*", allowMethods: String = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
                maxAge: Int = 600) {
        self.init(allowedOrigins: [allowOrigin], allowMethods: allowMethods, maxAge: maxAge)
    }

    /// The origins listed (an entry `*` allows any).
    public init(allowedOrigins: [String], allowMethods: String = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
                maxAge: Int = 600) {
        self.allowedOrigins = Set(allowedOrigins)
        self.allowAny = allowedOrigins.contains("*")
        self.allowMethods = allowMethods
        self.maxAge = maxAge
    }

    /// The value of `Access-Control-Allow-Origin` for a request's origin, or nil when it is not allowed.
    func allowed(_ origin: String) -> String? {
        allowAny ? "*" : allowedOrigins.contains(origin) ? origin : nil
    }

    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        guard let origin = request.headers["Origin"] else { return try next(request) }
        let allow = allowed(origin)
        if request.method == .OPTIONS, request.headers["Access-Control-Request-Method"] != nil {
            var headers = HTTPHeaders()
            if let allow {
                headers.add("Access-Control-Allow-Origin", allow)
                headers.add("Access-Control-Allow-Methods", allowMethods)
                if let requested = request.headers["Access-Control-Request-Headers"] {
                    headers.add("Access-Control-Allow-Headers", requested)
                }
                headers.add("Access-Control-Max-Age", String(maxAge))
            }
            if !allowAny { headers.add("Vary", "Origin") }
            return Response(status: .noContent, headers: headers)
        }
        let vary = !allowAny
        let edit: @Sendable (inout Response) -> Void = { response in
            if let allow {
                response.headers.set("Access-Control-Allow-Origin", allow)
                response.headers.set("Access-Control-Expose-Headers", "ETag, Location, Retry-After, X-Request-ID, X-Demo-Data, X-Data-Source, RateLimit, RateLimit-Policy")
            }
            if vary { response.headers.add("Vary", "Origin") }
        }
        do {
            var response = try next(request)
            edit(&response)
            return response
        } catch {
            throw EditedHTTPError(error, edit: edit)
        }
    }
}
