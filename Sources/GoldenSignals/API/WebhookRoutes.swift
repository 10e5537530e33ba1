import Foundation
import HTTPServer
import Signals

/// `/api/v1/webhooks`: subscriptions (create, list, read, update, delete), their delivery log, and a
/// test message. A key sees and changes its own subscriptions; an admin key (or, with keys optional,
/// a request without a key) those of everyone. Others' subscriptions answer 404.
struct WebhookRoutes {
    let store: WebhookStore
    let dispatcher: WebhookDispatcher?
    let policy: DestinationPolicy

    static let itemPattern = "/api/v1/webhooks/{id}"

    /// The caller: its key id, and whether it may see every subscription.
    static func caller(_ request: Request) -> (owner: String?, all: Bool) {
        guard let key = AccessMiddleware.key(of: request) else { return (nil, true) }
        return (key.record.id, key.record.grants(.admin))
    }

    /// The subscription of the path, when the caller may see it.
    func visible(_ request: Request) throws -> WebhookRecord {
        let (owner, all) = Self.caller(request)
        guard let id = request.pathParameters["id"], let hook = try store.find(id: id), all || hook.ownerKeyID == owner else {
            throw HTTPError(.notFound, detail: "no webhook has this id")
        }
        return hook
    }

    /// Reads a subscription from a body, over `base` for PATCH (only the fields sent change).
    func spec(_ body: [String: Any], base: WebhookRecord?) throws -> WebhookSpec {
        var errors: [FieldError] = []
        var spec = WebhookSpec(url: base?.url ?? "", events: base?.events ?? [], symbols: base?.symbols,
                               strategies: base?.strategies, minConfidence: base?.minConfidence)
        spec.enabled = base?.enabled ?? true
        if let raw = body["url"] {
            if let url = raw as? String {
                if let problem = DestinationPolicy.checkShape(url) {
                    errors.append(FieldError(field: "url", message: problem))
                } else {
                    do { _ = try policy.check(url); spec.url = url } catch {
                        errors.append(FieldError(field: "url", message: "\(error)"))
                    }
                }
            } else { errors.append(FieldError(field: "url", message: "must be a string")) }
        } else if base == nil { errors.append(FieldError(field: "url", message: "is required")) }
        if let raw = body["events"] {
            let names = WebhookEvent.allCases.map(\.rawValue)
            if let events = raw as? [String], !events.isEmpty, events.allSatisfy(names.contains) {
                spec.events = Array(Set(events)).sorted()
            } else { errors.append(FieldError(field: "events", message: "must be a non-empty list of \(names.joined(separator: ", "))")) }
        } else if base == nil { errors.append(FieldError(field: "events", message: "is required")) }
        if let raw = body["filters"], !(raw is NSNull) {
            if let filters = raw as? [String: Any] {
                for key in filters.keys where !["symbols", "strategies", "min_confidence"].contains(key) {
                    errors.append(FieldError(field: "filters.\(key)", message: "is not a known filter"))
                }
                if let v = filters["symbols"] {
                    if v is NSNull { spec.symbols = nil } else if let list = (v as? [String])?.map({ $0.uppercased() }), list.count <= 1_000,
                                                                  list.allSatisfy(NewSymbol.isValidTicker) {
                        spec.symbols = list
                    } else { errors.append(FieldError(field: "filters.symbols", message: "must be a list of at most 1000 tickers, or null")) }
                }
                if let v = filters["strategies"] {
                    let names = Strategies.names
                    if v is NSNull { spec.strategies = nil } else if let list = v as? [String], list.count <= 100, list.allSatisfy(names.contains) {
                        spec.strategies = list
                    } else { errors.append(FieldError(field: "filters.strategies", message: "must be a list of \(names.joined(separator: ", ")), or null")) }
                }
                if let v = filters["min_confidence"] {
                    if v is NSNull { spec.minConfidence = nil } else if let x = JSONBody.number(v), x >= 0, x <= 1 {
                        spec.minConfidence = x
                    } else { errors.append(FieldError(field: "filters.min_confidence", message: "must be a number from 0 to 1 or null")) }
                }
            } else { errors.append(FieldError(field: "filters", message: "must be an object")) }
        }
        if let raw = body["enabled"] {
            if let b = raw as? Bool, JSONBody.number(raw) == nil { spec.enabled = b } else {
                errors.append(FieldError(field: "enabled", message: "must be true or false"))
            }
        }
        for key in body.keys where !["url", "events", "filters", "enabled"].contains(key) {
            errors.append(FieldError(field: key, message: "is not a known field"))
        }
        if !errors.isEmpty { throw HTTPError(.unprocessableEntity, detail: "the webhook cannot be saved as sent", errors: errors) }
        return spec
    }

    func register(on router: Router) {
        let store = self.store
        router.post("/api/v1/webhooks", options: RouteOptions(maxBodyBytes: 64 << 10)) { request in
            let spec = try self.spec(try JSONBody.object(request), base: nil)
            let (hook, secret) = try store.create(spec, owner: Self.caller(request).owner)
            var w = JSONWriter(capacity: 512)
            Self.write(hook, to: &w, secret: secret)
            var response = Response.bytes(w.bytes, contentType: "application/json", status: .created)
            response.headers.set("Location", Self.itemPattern.replacingOccurrences(of: "{id}", with: hook.id))
            response.headers.set("Cache-Control", "no-store")
            return response
        }
        router.get("/api/v1/webhooks") { request in
            let (owner, all) = Self.caller(request)
            let hooks = try store.list(owner: owner, all: all)
            var w = JSONWriter(capacity: 400 * hooks.count + 32)
            w.beginObject()
            w.key("webhooks"); w.beginArray()
            for h in hooks { Self.write(h, to: &w) }
            w.endArray()
            w.endObject()
            return .bytes(w.bytes, contentType: "application/json")
        }
        router.get(Self.itemPattern) { request in
            let hook = try self.visible(request)
            var w = JSONWriter(capacity: 512)
            Self.write(hook, to: &w)
            return .bytes(w.bytes, contentType: "application/json")
        }
        router.patch(Self.itemPattern, options: RouteOptions(maxBodyBytes: 64 << 10)) { request in
            let hook = try self.visible(request)
            let spec = try self.spec(try JSONBody.object(request), base: hook)
            guard let updated = try store.update(id: hook.id, spec) else { throw HTTPError(.notFound, detail: "no webhook has this id") }
            var w = JSONWriter(capacity: 512)
            Self.write(updated, to: &w)
            return .bytes(w.bytes, contentType: "application/json")
        }
        router.delete(Self.itemPattern) { request in
            let hook = try self.visible(request)
            _ = try store.delete(id: hook.id)
            return Response(status: .noContent)
        }
        router.get("/api/v1/webhooks/{id}/deliveries") { request in
            let hook = try self.visible(request)
            var q = QueryReader(request)
            let limit = q.int("limit", default: 50, range: 1...500)
            let before = q.cursor()
            try q.validate()
            let rows = try store.deliveries(webhookID: hook.id, before: before, limit: limit + 1)
            let page = rows.prefix(limit)
            var w = JSONWriter(capacity: 200 * page.count + 64)
            w.beginObject()
            w.key("deliveries"); w.beginArray()
            for d in page {
                w.beginObject()
                w.key("id"); w.number(d.id)
                w.key("message_id"); w.string("msg_\(d.outboxID)")
                w.key("event"); w.string(d.event)
                w.key("attempt"); w.number(d.attempt)
                w.key("status"); if let s = d.status { w.number(s) } else { w.null() }
                w.key("error"); if let e = d.error { w.string(e) } else { w.null() }
                w.key("latency_ms"); w.number(d.latencyMs)
                w.key("at"); w.string(RFC3339.format(d.at))
                w.endObject()
            }
            w.endArray()
            w.key("next_cursor")
            if rows.count > limit, let last = page.last { w.string(Cursor.make(last.id)) } else { w.null() }
            w.endObject()
            return .bytes(w.bytes, contentType: "application/json")
        }
        router.post("/api/v1/webhooks/{id}/test") { request in
            let hook = try self.visible(request)
            var d = JSONWriter(capacity: 128)
            d.beginObject()
            d.key("webhook_id"); d.string(hook.id)
            d.key("message"); d.string("a test message from GoldenSignals")
            d.endObject()
            let id = try store.enqueue(webhookID: hook.id, event: "webhook.test", data: String(decoding: d.bytes, as: UTF8.self))
            self.dispatcher?.wake()
            var w = JSONWriter(capacity: 64)
            w.beginObject()
            w.key("message_id"); w.string("msg_\(id)")
            w.endObject()
            return .bytes(w.bytes, contentType: "application/json", status: .accepted)
        }
    }

    /// A subscription as the API shows it; `secret` only in the answer that created it.
    static func write(_ h: WebhookRecord, to w: inout JSONWriter, secret: String? = nil) {
        w.beginObject()
        w.key("id"); w.string(h.id)
        w.key("url"); w.string(h.url)
        w.key("events"); w.beginArray(); for e in h.events { w.string(e) }; w.endArray()
        w.key("filters"); w.beginObject()
        w.key("symbols"); if let s = h.symbols { w.beginArray(); for x in s { w.string(x) }; w.endArray() } else { w.null() }
        w.key("strategies"); if let s = h.strategies { w.beginArray(); for x in s { w.string(x) }; w.endArray() } else { w.null() }
        w.key("min_confidence"); if let m = h.minConfidence { w.number(m) } else { w.null() }
        w.endObject()
        w.key("enabled"); w.bool(h.enabled)
        w.key("owner_key_id"); if let o = h.ownerKeyID { w.string(o) } else { w.null() }
        func time(_ name: String, _ t: Int64?) { w.key(name); if let t { w.string(RFC3339.format(t)) } else { w.null() } }
        time("failing_since", h.failingSince)
        time("disabled_at", h.disabledAt)
        w.key("disabled_reason"); if let r = h.disabledReason { w.string(r) } else { w.null() }
        time("created_at", h.createdAt)
        time("updated_at", h.updatedAt)
        if let secret { w.key("secret"); w.string(secret) }
        w.endObject()
    }
}
