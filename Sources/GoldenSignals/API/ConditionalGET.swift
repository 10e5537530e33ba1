import Foundation
import HTTPServer

/// Entity tags for GET responses: `ETag` from the body, `304 Not Modified` when `If-None-Match` matches;
/// and gzip for clients that accept it (`Content-Encoding: gzip`, `Vary: Accept-Encoding`). The gzip
/// representation has its own tag (`"…-gz"`, as a strong validator must differ between codings);
/// `If-None-Match` with either tag gets a 304, since both stand for the same content.
enum ConditionalGET {
    /// - Parameters:
    ///   - etag: the body's entity tag when already known (a cached page keeps its own).
    ///   - gzipped: the body already gzip-coded (a cached page keeps it too); made here when needed.
    ///   - gzipETag: `gzipTag(etag)` when already known (a cached page keeps it too).
    static func respond(_ request: Request, body: [UInt8], contentType: String, demo: Bool,
                        headers extra: HTTPHeaders = .init(), etag known: String? = nil, gzipped: [UInt8]? = nil,
                        gzipETag: String? = nil) -> Response {
        let etag = known ?? tag(body)
        let coded = codes(request, body)
        // The gzip representation's tag: made here only when this answer is coded and no cached one was given.
        let gz = gzipETag ?? (coded ? gzipTag(etag) : nil)
        var headers = extra
        headers.reserveCapacity(extra.count + 8)
        headers.set("ETag", coded ? gz ?? etag : etag)
        headers.set("Cache-Control", "no-cache")
        if body.count >= Gzip.minimumSize { headers.add("Vary", "Accept-Encoding") }
        if demo { headers.set("X-Demo-Data", "true") }
        if matches(request, etag, gzipETag: gz) { return Response(status: .notModified, headers: headers) }
        headers.set("Content-Type", contentType)
        if coded, let compressed = gzipped ?? gzip(body) {
            headers.set("Content-Encoding", "gzip")
            return Response(status: .ok, headers: headers, body: .bytes(compressed))
        }
        headers.set("ETag", etag)
        return Response(status: .ok, headers: headers, body: .bytes(body))
    }

    /// Whether the answer to `request` carries `body` gzip-coded (large enough, and accepted).
    static func codes(_ request: Request, _ body: [UInt8]) -> Bool {
        body.count >= Gzip.minimumSize && Gzip.accepted(by: request)
    }

    /// A body gzip-coded: level 6 up to 256 KiB, level 1 (several times faster) above.
    static func gzip(_ body: [UInt8]) -> [UInt8]? {
        Gzip.compress(body, level: body.count <= 256 << 10 ? 6 : 1)
    }

    /// The strong entity tag of a body.
    static func tag(_ body: [UInt8]) -> String { "\"" + MarketDataRoutes.fnv1a(body) + "\"" }

    /// The tag of the gzip representation of the body tagged `etag`.
    static func gzipTag(_ etag: String) -> String { String(etag.dropLast()) + "-gz\"" }

    /// Whether the request's `If-None-Match` names `etag` or its gzip tag (weakly), or `*`.
    static func matches(_ request: Request, _ etag: String, gzipETag: String? = nil) -> Bool {
        guard let inm = request.headers["If-None-Match"] else { return false }
        if inm == etag { return true }   // the usual case: the tag sent back as it was given
        let gz = gzipETag ?? gzipTag(etag)
        if inm == gz { return true }
        return inm.split(separator: ",").contains {
            var t = $0.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("W/") { t.removeFirst(2) }
            return t == etag || t == gz || t == "*"
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
