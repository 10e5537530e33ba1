/// Adds `Access-Control-Allow-Origin` to responses (also to the answer to an error thrown through it) and answers CORS preflight requests
/// (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) with 204.
public struct CORSMiddleware: Middleware {
    let allowOrigin: String
    let allowMethods: String
    let maxAge: Int

    public init(allowOrigin: String = "*", allowMethods: String = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
                maxAge: Int = 600) {
        self.allowOrigin = allowOrigin
        self.allowMethods = allowMethods
        self.maxAge = maxAge
    }

    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        if request.method == .OPTIONS, request.headers["Origin"] != nil,
           request.headers["Access-Control-Request-Method"] != nil {
            var headers = HTTPHeaders()
            headers.add("Access-Control-Allow-Origin", allowOrigin)
            headers.add("Access-Control-Allow-Methods", allowMethods)
            if let requested = request.headers["Access-Control-Request-Headers"] {
                headers.add("Access-Control-Allow-Headers", requested)
            }
            headers.add("Access-Control-Max-Age", String(maxAge))
            if allowOrigin != "*" { headers.add("Vary", "Origin") }
            return Response(status: .noContent, headers: headers)
        }
        guard request.headers["Origin"] != nil else { return try next(request) }
        let origin = allowOrigin
        let edit: @Sendable (inout Response) -> Void = { response in
            response.headers.set("Access-Control-Allow-Origin", origin)
            if origin != "*" { response.headers.add("Vary", "Origin") }
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
