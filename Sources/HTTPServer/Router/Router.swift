/// Maps method + path pattern to handlers, with `{name}` parameters, middleware, and error
/// responses. Configure it before the server starts; it is read-only afterwards.
public final class Router: @unchecked Sendable {
    struct Route: Sendable {
        let method: HTTPMethod
        let pattern: String
        let options: RouteOptions
        let handler: Handler
    }

    private enum Segment {
        case literal(String)
        case parameter(String)
    }

    /// Routes of one pattern, by method.
    private struct PatternRoutes {
        let pattern: String
        let segments: [Segment]
        var methods: [HTTPMethod: Route] = [:]
    }

    /// What routing decided for a method and path.
    enum Resolution: Sendable {
        case route(Route, parameters: [String: String])
        case notFound
        case methodNotAllowed(allow: String)
        /// The worker queue is full: 503 with `Retry-After`.
        case overloaded(Route, parameters: [String: String])

        /// The options governing body size and where the handler runs.
        var options: RouteOptions {
            if case .route(let r, _) = self { return r.options }
            return Router.unmatchedOptions
        }
    }

    static let unmatchedOptions = RouteOptions(runsOnLoop: true)

    private var staticPatterns: [String: PatternRoutes] = [:]
    private var dynamicPatterns: [PatternRoutes] = []
    /// Each middleware in a box of its own: reading one from the array per request then counts one
    /// reference, where an existential would be copied field by field.
    private final class Installed: Sendable {
        let middleware: any Middleware
        init(_ middleware: any Middleware) { self.middleware = middleware }
    }
    private var middlewares: [Installed] = []
    private var order: [(method: HTTPMethod, pattern: String)] = []

    public init() {}

    /// Registers `handler` for `method` and `pattern` (segments like `{id}` capture a parameter).
    public func add(_ method: HTTPMethod, _ pattern: String, options: RouteOptions = .init(), _ handler: @escaping Handler) {
        let route = Route(method: method, pattern: pattern, options: options, handler: handler)
        let segments: [Segment] = pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            if $0.hasPrefix("{"), $0.hasSuffix("}"), $0.count > 2 { return .parameter(String($0.dropFirst().dropLast())) }
            return .literal(String($0))
        }
        order.append((method, pattern))
        if segments.allSatisfy({ if case .literal = $0 { true } else { false } }) {
            staticPatterns[pattern, default: PatternRoutes(pattern: pattern, segments: segments)].methods[method] = route
        } else if let i = dynamicPatterns.firstIndex(where: { $0.pattern == pattern }) {
            dynamicPatterns[i].methods[method] = route
        } else {
            var p = PatternRoutes(pattern: pattern, segments: segments)
            p.methods[method] = route
            dynamicPatterns.append(p)
        }
    }

    public func get(_ pattern: String, options: RouteOptions = .init(), _ handler: @escaping Handler) {
        add(.GET, pattern, options: options, handler)
    }

    public func post(_ pattern: String, options: RouteOptions = .init(), _ handler: @escaping Handler) {
        add(.POST, pattern, options: options, handler)
    }

    public func put(_ pattern: String, options: RouteOptions = .init(), _ handler: @escaping Handler) {
        add(.PUT, pattern, options: options, handler)
    }

    public func patch(_ pattern: String, options: RouteOptions = .init(), _ handler: @escaping Handler) {
        add(.PATCH, pattern, options: options, handler)
    }

    public func delete(_ pattern: String, options: RouteOptions = .init(), _ handler: @escaping Handler) {
        add(.DELETE, pattern, options: options, handler)
    }

    /// Adds a middleware; the first added is the outermost. Middleware also wraps 404 and 405 answers.
    public func use(_ middleware: any Middleware) {
        middlewares.append(Installed(middleware))
    }

    /// The registered routes in registration order.
    public var routes: [(method: HTTPMethod, pattern: String)] { order }

    /// Dispatches a request in-process: routing, 404/405 with `Allow`, `HEAD` for `GET` routes
    /// (no body, same headers), middleware, and errors as problem+json.
    public func respond(to request: Request) -> Response {
        let resolution = resolve(method: request.method, rawPath: request.rawPath)
        var response = handle(request, resolution: resolution, answer: Self.loopAnswer(request, resolution))
        if request.method == .HEAD {
            switch response.body {
            case .bytes(let b):
                if !response.headers.contains("Content-Length") { response.headers.set("Content-Length", String(b.count)) }
                response.body = .empty
            case .stream:
                response.body = .empty
            case .empty:
                break
            }
        }
        return response
    }

    // MARK: Internals used by the server

    /// What the route's `loopResponder` answers for the request, if it has one and can answer now.
    static func loopAnswer(_ request: Request, _ resolution: Resolution) -> Response? {
        guard case .route(let route, let parameters) = resolution, let responder = route.options.loopResponder else { return nil }
        var request = request
        request.pathParameters = parameters
        request.routePattern = route.pattern
        return responder(request)
    }

    /// Routes on the raw (still percent-encoded) path, so that an encoded `/` inside a segment stays in
    /// that segment; each captured parameter is then decoded on its own.
    func resolve(method: HTTPMethod, rawPath: String) -> Resolution {
        var params: [String: String] = [:]
        let candidate: PatternRoutes?
        if let p = staticPatterns[rawPath] {
            candidate = p
        } else {
            candidate = matchDynamic(rawPath, parameters: &params)
        }
        guard let routes = candidate else { return .notFound }
        if let route = routes.methods[method] { return .route(route, parameters: params) }
        if method == .HEAD, let route = routes.methods[.GET] { return .route(route, parameters: params) }
        var allowed = Set(routes.methods.keys.map(\.rawValue))
        if allowed.contains("GET") { allowed.insert("HEAD") }
        return .methodNotAllowed(allow: allowed.sorted().joined(separator: ", "))
    }

    private func matchDynamic(_ rawPath: String, parameters: inout [String: String]) -> PatternRoutes? {
        guard !dynamicPatterns.isEmpty else { return nil }
        let parts = rawPath.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        outer: for p in dynamicPatterns where p.segments.count == parts.count {
            var found: [String: String] = [:]
            for (segment, part) in zip(p.segments, parts) {
                switch segment {
                case .literal(let s): if s != part { continue outer }
                case .parameter(let name):
                    if part.isEmpty { continue outer }
                    found[name] = PercentDecoding.decode(part, plusIsSpace: false)
                }
            }
            parameters = found
            return p
        }
        return nil
    }

    /// The field that carries a NUL byte (from `%00`) in a path parameter or the query, if any: such
    /// text never reaches a handler (libpq would cut it at the NUL), it is answered 400.
    static func fieldWithNUL(_ request: Request, parameters: [String: String]) -> String? {
        if let name = request.query.nameWithNUL { return name }
        for (name, value) in parameters where value.utf8.contains(0) { return name }
        return nil
    }

    /// Runs middleware and the handler (or the 404/405 answer); never throws. A thrown error passes
    /// out through every middleware (so metrics and the access log see its real status) and becomes
    /// its response here, at the outermost point.
    /// - Parameter answer: a response already made (by the route's `loopResponder`) that stands in for the handler.
    func handle(_ request: Request, resolution: Resolution, answer: Response? = nil) -> Response {
        var request = request
        let endpoint: (Request) throws -> Response
        switch resolution {
        case .route(let route, let parameters):
            request.pathParameters = parameters
            request.routePattern = route.pattern
            if let field = Router.fieldWithNUL(request, parameters: parameters) {
                endpoint = { _ in
                    throw HTTPError(.badRequest, detail: "a parameter contains a NUL byte",
                                    errors: [FieldError(field: field, message: "must not contain NUL bytes (%00)")])
                }
            } else if let answer { endpoint = { _ in answer } } else { endpoint = route.handler }
        case .notFound:
            endpoint = { _ in Problem(status: .notFound).response() }
        case .methodNotAllowed(let allow):
            endpoint = { _ in Problem(status: .methodNotAllowed).response(headers: HTTPHeaders([("Allow", allow)])) }
        case .overloaded(let route, let parameters):
            request.pathParameters = parameters
            request.routePattern = route.pattern
            endpoint = { _ in
                Problem(status: .serviceUnavailable, detail: "the server is busy; retry shortly")
                    .response(headers: HTTPHeaders([("Retry-After", "1")]))
            }
        }
        do {
            return try runMiddleware(0, request, endpoint)
        } catch {
            return Router.errorResponse(error)
        }
    }

    private func runMiddleware(_ index: Int, _ request: Request, _ endpoint: (Request) throws -> Response) throws -> Response {
        if index == middlewares.count { return try endpoint(request) }
        return try middlewares[index].middleware.handle(request) { try runMiddleware(index + 1, $0, endpoint) }
    }

    /// The status a thrown error is answered with: its own if it is an `HTTPResponseError`, else 500.
    public static func status(for error: any Error) -> HTTPStatus {
        switch error {
        case let e as EditedHTTPError: status(for: e.original)
        case let e as any HTTPResponseError: e.status
        default: .internalServerError
        }
    }

    /// The response for a thrown error: its own problem if it is an `HTTPResponseError`, else a bare
    /// 500 that says nothing of the cause; with the edits of the middleware it passed through.
    static func errorResponse(_ error: any Error) -> Response {
        switch error {
        case let e as EditedHTTPError:
            var response = errorResponse(e.original)
            for edit in e.edits { edit(&response) }
            return response
        case let e as any HTTPResponseError:
            var problem = e.problem
            problem.status = e.status.code
            var response = problem.response(headers: e.headers)
            response.status = e.status
            return response
        default:
            return Problem(status: .internalServerError).response()
        }
    }
}
