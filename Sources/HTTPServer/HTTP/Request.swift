/// A request as handlers see it: the head, the complete body, and routing results.
public struct Request: Sendable {
    /// What the client sent, shared by every copy of the request (middleware and the router copy a
    /// request to set a field: one reference counted, not one per string and array).
    private final class Sent: Sendable {
        let method: HTTPMethod
        let target: String
        let path: String
        let rawPath: String
        let query: QueryParameters
        let headers: HTTPHeaders
        let body: [UInt8]
        let remoteAddress: String

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
        }
    }

    private let sent: Sent
    public var method: HTTPMethod { sent.method }
    /// The request-target exactly as sent.
    public var target: String { sent.target }
    /// The percent-decoded path, without the query. Routing uses `rawPath`: a decoded `%2F` is not a separator.
    public var path: String { sent.path }
    /// The path as sent (still percent-encoded; never contains control characters, which the parser refuses).
    public var rawPath: String { sent.rawPath }
    /// The decoded query parameters.
    public var query: QueryParameters { sent.query }
    public var headers: HTTPHeaders { sent.headers }
    public var body: [UInt8] { sent.body }
    /// Values of the `{name}` segments of the matched route pattern.
    public var pathParameters: [String: String]
    /// The matched route pattern, e.g. `/api/v1/signals/{id}`; nil when nothing matched.
    public var routePattern: String?
    /// The request id (set by `RequestIDMiddleware`; empty otherwise).
    public var requestID: String
    /// The peer address as `host:port`.
    public var remoteAddress: String { sent.remoteAddress }
    /// Who the request acts for, as an authentication middleware established it (an object, so that
    /// setting it on every request allocates nothing); nil otherwise.
    public var principal: (any AnyObject & Sendable)?

    /// Creates a request, parsing path and query from `target`; for in-process tests too.
    public init(method: HTTPMethod, target: String, headers: HTTPHeaders = .init(), body: [UInt8] = [],
                remoteAddress: String = "127.0.0.1:0") {
        let (path, rawPath, rawQuery) = Request.splitTarget(target)
        self.init(method: method, target: target, path: path, rawPath: rawPath, rawQuery: rawQuery, headers: headers,
                  body: body, remoteAddress: remoteAddress)
    }

    init(method: HTTPMethod, target: String, path: String, rawPath: String, rawQuery: String, headers: HTTPHeaders,
         body: [UInt8], remoteAddress: String) {
        sent = Sent(method: method, target: target, path: path, rawPath: rawPath, rawQuery: rawQuery, headers: headers,
                    body: body, remoteAddress: remoteAddress)
        pathParameters = [:]
        routePattern = nil
        requestID = ""
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
