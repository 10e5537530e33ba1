import Foundation
import HTTPServer

/// `/api/v1/backtests`: queue a run (202), read one (status, progress, config, result), list them
/// (newest first, cursor paging) and cancel one. A key sees its own runs; an admin key (or, with keys
/// optional, a request without a key) every run.
struct BacktestRoutes {
    let service: BacktestService

    static let itemPattern = "/api/v1/backtests/{id}"

    func visible(_ request: Request, result: Bool) throws -> BacktestRecord {
        let (owner, all) = WebhookRoutes.caller(request)
        guard let id = request.pathParameters["id"], let run = try service.store.find(id: id, result: result),
              all || run.ownerKeyID == owner else {
            throw HTTPError(.notFound, detail: "no backtest has this id")
        }
        return run
    }

    func register(on router: Router) {
        let service = self.service
        router.post("/api/v1/backtests", options: RouteOptions(maxBodyBytes: 64 << 10)) { request in
            let (parsed, errors) = BacktestRequest.parse(try JSONBody.object(request))
            if !errors.isEmpty { throw HTTPError(.badRequest, detail: "the backtest cannot run as sent", errors: errors) }
            let run = try service.submit(parsed, owner: WebhookRoutes.caller(request).owner)
            var w = JSONWriter(capacity: 96)
            w.beginObject()
            w.key("id"); w.string(run.id)
            w.key("status"); w.string(run.status)
            w.endObject()
            var response = Response.bytes(w.bytes, contentType: "application/json", status: .accepted)
            response.headers.set("Location", Self.itemPattern.replacingOccurrences(of: "{id}", with: run.id))
            return response
        }
        router.get("/api/v1/backtests") { request in
            var q = QueryReader(request)
            let limit = q.int("limit", default: 50, range: 1...500)
            let before = q.cursor()
            try q.validate()
            let (owner, all) = WebhookRoutes.caller(request)
            let rows = try service.store.list(before: before, limit: limit + 1, owner: owner, all: all)
            let page = rows.prefix(limit)
            var w = JSONWriter(capacity: 700 * page.count + 64)
            w.beginObject()
            w.key("backtests"); w.beginArray()
            for r in page { Self.write(r, to: &w) }
            w.endArray()
            w.key("next_cursor")
            if rows.count > limit, let last = page.last { w.string(Cursor.make(last.seq)) } else { w.null() }
            w.endObject()
            return .bytes(w.bytes, contentType: "application/json")
        }
        router.get(Self.itemPattern) { request in
            let run = try self.visible(request, result: true)
            var w = JSONWriter(capacity: 1024 + (run.result?.utf8.count ?? 0))
            Self.write(run, to: &w)
            var response = Response.bytes(w.bytes, contentType: "application/json")
            if !["done", "failed", "cancelled"].contains(run.status) { response.headers.set("Cache-Control", "no-store") }
            return response
        }
        router.delete(Self.itemPattern) { request in
            let run = try self.visible(request, result: false)
            guard run.status == "queued" || run.status == "running" else {
                throw HTTPError(.conflict, detail: "the backtest has already ended (\(run.status))")
            }
            guard let updated = try service.store.cancel(id: run.id) else { throw HTTPError(.notFound, detail: "no backtest has this id") }
            var w = JSONWriter(capacity: 512)
            Self.write(updated, to: &w)
            return .bytes(w.bytes, contentType: "application/json", status: .accepted)
        }
    }

    /// A run as the API shows it; `result` only when the record carries it (the item route).
    static func write(_ r: BacktestRecord, to w: inout JSONWriter) {
        w.beginObject()
        w.key("id"); w.string(r.id)
        w.key("status"); w.string(r.status)
        w.key("progress"); w.number(r.progress)
        w.key("cancel_requested"); w.bool(r.cancelRequested)
        w.key("code_version"); w.string(r.codeVersion)
        w.key("config"); w.raw(Array(r.config.utf8))
        func time(_ name: String, _ t: Int64?) { w.key(name); if let t { w.string(RFC3339.format(t)) } else { w.null() } }
        time("created_at", r.createdAt)
        time("started_at", r.startedAt)
        time("finished_at", r.finishedAt)
        w.key("error"); if let e = r.error { w.string(e) } else { w.null() }
        w.key("result"); if let result = r.result { w.raw(Array(result.utf8)) } else { w.null() }
        w.endObject()
    }
}
