import Foundation
import HTTPServer

/// Entity tags for GET responses: `ETag` from the body, `304 Not Modified` when `If-None-Match` matches.
enum ConditionalGET {
    /// - Parameter etag: the body's entity tag when already known (a cached page keeps its own).
    static func respond(_ request: Request, body: [UInt8], contentType: String, demo: Bool,
                        headers extra: HTTPHeaders = .init(), etag known: String? = nil) -> Response {
        let etag = known ?? tag(body)
        var headers = extra
        headers.set("ETag", etag)
        headers.set("Cache-Control", "no-cache")
        if demo { headers.set("X-Demo-Data", "true") }
        if matches(request, etag) { return Response(status: .notModified, headers: headers) }
        headers.set("Content-Type", contentType)
        return Response(status: .ok, headers: headers, body: .bytes(body))
    }

    /// The strong entity tag of a body.
    static func tag(_ body: [UInt8]) -> String { "\"" + MarketDataRoutes.fnv1a(body) + "\"" }

    /// Whether the request's `If-None-Match` names `etag` (weakly) or `*`.
    static func matches(_ request: Request, _ etag: String) -> Bool {
        guard let inm = request.headers["If-None-Match"] else { return false }
        if inm == etag { return true }   // the usual case: the tag sent back as it was given
        return inm.split(separator: ",").contains {
            let t = $0.trimmingCharacters(in: .whitespaces)
            return t == etag || t == "W/" + etag || t == "*"
        }
    }
}

extension SymbolStore {
    /// The symbol of a path or query parameter (case-insensitive), or 400/404 problems naming it.
    func resolve(_ raw: String, field: String = "symbol") throws -> SymbolRecord {
        let t = raw.uppercased()
        guard NewSymbol.isValidTicker(t) else {
            throw HTTPError(.badRequest, detail: "'\(t.prefix(40))' is not a ticker", errors: [FieldError(field: field, message: "is not a valid ticker")])
        }
        guard let record = try find(t) else {
            throw HTTPError(.notFound, detail: "unknown symbol \(t); create it with POST /api/v1/symbols")
        }
        return record
    }
}
