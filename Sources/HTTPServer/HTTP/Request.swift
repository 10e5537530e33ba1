/// A request as handlers see it: the head, the complete body, and routing results.
public struct Request: Sendable {
    public let method: HTTPMethod
    /// The request-target exactly as sent.
    public let target: String
    /// The percent-decoded path, without the query. Routing uses `rawPath`: a decoded `%2F` is not a separator.
    public let path: String
    /// The path as sent (still percent-encoded; never contains control characters, which the parser refuses).
    public let rawPath: String
    /// The decoded query parameters.
    public let query: QueryParameters
    public let headers: HTTPHeaders
    public let body: [UInt8]
    /// Values of the `{name}` segments of the matched route pattern.
    public var pathParameters: [String: String]
    /// The matched route pattern, e.g. `/api/v1/signals/{id}`; nil when nothing matched.
    public var routePattern: String?
    /// The request id (set by `RequestIDMiddleware`; empty otherwise).
    public var requestID: String
    /// The peer address as `host:port`.
    public let remoteAddress: String
    /// Who the request acts for, as an authentication middleware established it (an object, so that
    /// setting it on every request allocates nothing); nil otherwise.
    public var principal: (any AnyObject & Sendable)?

    /// Creates a request, parsing path and query from `target`; for in-process tests too.
    public init(method: HTTPMethod, target: String, headers: HTTPHeaders = .init(), body: [UInt8] = [],
                remoteAddress: String = "127.0.0.1:0") {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        let (path, rawPath, rawQuery) = Request.splitTarget(target)
        self.path = path
        self.rawPath = rawPath
        self.query = QueryParameters(parsing: rawQuery)
        self.pathParameters = [:]
        self.routePattern = nil
        self.requestID = ""
    }

    init(method: HTTPMethod, target: String, path: String, rawPath: String, rawQuery: String, headers: HTTPHeaders,
         body: [UInt8], remoteAddress: String) {
        self.method = method
        self.target = target
        self.path = path
        self.rawPath = rawPath
        self.query = QueryParameters(parsing: rawQuery)
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.pathParameters = [:]
        self.routePattern = nil
        self.requestID = ""
    }

    /// The decoded path, the raw path and the raw query of a request-target (origin- or absolute-form).
    static func splitTarget(_ target: String) -> (path: String, rawPath: String, rawQuery: String) {
        // Byte searches (a request target is ASCII): Character searches would break graphemes on every request.
        // A fragment (which no client should send) ends the target, even with a "?" in it.
        let target = target.utf8.firstIndex(of: 0x23).map { target[..<$0] } ?? Substring(target)
        var rawPath = target
        var rawQuery = Substring("")
        if let q = target.utf8.firstIndex(of: 0x3F) {
            rawPath = target[..<q]
            rawQuery = target[target.utf8.index(after: q)...]
        }
        // absolute-form (RFC 9112 §3.2.2): keep only the path.
        if rawPath.utf8.first == 0x68, rawPath.utf8.starts(with: "http://".utf8) || rawPath.utf8.starts(with: "https://".utf8),
           let colon = rawPath.utf8.firstIndex(of: 0x3A) {
            let afterScheme = rawPath[rawPath.utf8.index(colon, offsetBy: 3)...]
            rawPath = afterScheme.utf8.firstIndex(of: 0x2F).map { afterScheme[$0...] } ?? "/"
        }
        let raw = String(rawPath)
        // Without an escape the decoded path is the raw one (shared storage, no second allocation).
        let decoded = raw.utf8.contains(0x25) ? PercentDecoding.decode(raw, plusIsSpace: false) : raw
        return (decoded, raw, String(rawQuery))
    }
}
