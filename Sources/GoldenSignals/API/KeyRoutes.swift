import Foundation
import HTTPServer

/// `GET/POST /api/v1/keys`, `DELETE /api/v1/keys/{id}` (admin scope).
struct KeyRoutes {
    let keys: KeyStore
    let verifier: KeyVerifier

    /// The route of one key (also the `Location` of a created one).
    static let itemPattern = "/api/v1/keys/{id}"

    func register(on router: Router) {
        let keys = self.keys, verifier = self.verifier
        router.get("/api/v1/keys") { _ in
            let all = try keys.list()
            var w = JSONWriter(capacity: 256 * all.count + 32)
            w.beginObject()
            w.key("keys"); w.beginArray()
            for k in all { Self.write(k, to: &w) }
            w.endArray()
            w.endObject()
            return .bytes(w.bytes, contentType: "application/json")
        }

        router.post("/api/v1/keys", options: RouteOptions(maxBodyBytes: 16 << 10)) { request in
            let body = try JSONBody.object(request)
            var errors: [FieldError] = []
            var name: String?
            if let n = body["name"] as? String, (1...200).contains(n.count) { name = n } else {
                errors.append(FieldError(field: "name", message: "is required: a string of 1–200 characters"))
            }
            var scopes: [Scope]?
            if let list = body["scopes"] as? [String], let parsed = Scope.parseList(list.joined(separator: ",")) {
                scopes = parsed
            } else if let text = body["scopes"] as? String, let parsed = Scope.parseList(text) {
                scopes = parsed
            } else {
                errors.append(FieldError(field: "scopes", message: "is required: a list of read, write, admin"))
            }
            var expiresAt: Int64?
            if let raw = body["expires_at"], !(raw is NSNull) {
                if let s = raw as? String, let t = RFC3339.parse(s) { expiresAt = t } else {
                    errors.append(FieldError(field: "expires_at", message: "must be an RFC 3339 time"))
                }
            }
            var rate = NewAPIKey.defaultRate
            if let raw = body["rate"], !(raw is NSNull) {
                if let r = JSONBody.number(raw), r > 0, r <= 1_000_000 { rate = r } else {
                    errors.append(FieldError(field: "rate", message: "must be requests per second, > 0"))
                }
            }
            var burst = NewAPIKey.defaultBurst
            if let raw = body["burst"], !(raw is NSNull) {
                if let b = JSONBody.number(raw), b >= 1, b <= 10_000_000, b == b.rounded() { burst = Int(b) } else {
                    errors.append(FieldError(field: "burst", message: "must be an integer ≥ 1"))
                }
            }
            for key in body.keys where !["name", "scopes", "expires_at", "rate", "burst"].contains(key) {
                errors.append(FieldError(field: key, message: "is not a known field"))
            }
            guard errors.isEmpty, let name, let scopes else {
                throw HTTPError(.unprocessableEntity, detail: "the key cannot be created as sent", errors: errors)
            }
            let (record, key) = try keys.create(NewAPIKey(name: name, scopes: scopes, expiresAt: expiresAt, rate: rate, burst: burst))
            var w = JSONWriter(capacity: 512)
            Self.write(record, to: &w, secret: key)
            var response = Response.bytes(w.bytes, contentType: "application/json", status: .created)
            response.headers.set("Location", Self.itemPattern.replacingOccurrences(of: "{id}", with: record.id))
            response.headers.set("Cache-Control", "no-store")
            return response
        }

        router.delete(Self.itemPattern) { request in
            let id = request.pathParameters["id"] ?? ""
            guard id.utf8.count == 12, try keys.revoke(id: id) else {
                throw HTTPError(.notFound, detail: "no key has this id")
            }
            verifier.forget(id: id)
            return Response(status: .noContent)
        }
    }

    /// A key as the API shows it; `secret` (the full key) only in the answer that created it.
    static func write(_ k: APIKeyRecord, to w: inout JSONWriter, secret: String? = nil) {
        w.beginObject()
        w.key("id"); w.string(k.id)
        w.key("name"); w.string(k.name)
        w.key("prefix"); w.string(k.prefix)
        w.key("scopes"); w.beginArray(); for s in k.scopes { w.string(s.rawValue) }; w.endArray()
        w.key("rate"); w.number(k.rate)
        w.key("burst"); w.number(k.burst)
        func time(_ name: String, _ t: Int64?) { w.key(name); if let t { w.string(RFC3339.format(t)) } else { w.null() } }
        time("expires_at", k.expiresAt)
        time("revoked_at", k.revokedAt)
        time("last_used_at", k.lastUsedAt)
        time("created_at", k.createdAt)
        if let secret { w.key("key"); w.string(secret) }
        w.endObject()
    }
}
