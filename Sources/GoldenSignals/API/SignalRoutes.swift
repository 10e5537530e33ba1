import Foundation
import HTTPServer
import Market
import Signals

/// `GET /api/v1/signals` (and `…/symbol/{symbol}`), `GET /api/v1/signals/{id}`, `POST /api/v1/signals/generate`,
/// `GET /api/v1/signals/funnel`, `GET /api/v1/signals/stream`, `GET /api/v1/signals/quality`,
/// `POST /api/v1/signals/{id}/outcome`.
struct SignalRoutes {
    let symbols: SymbolStore
    let signals: SignalStore
    let service: SignalService
    let outcomes: OutcomeService
    let hub: SignalStreamHub
    /// Rendered list pages, valid for a second while no signal was stored anywhere.
    let pages: PageCache

    static let statuses = ["active", "filtered", "closed", "expired", "all"]
    static let maxLimit = 500

    func register(on router: Router) {
        let routes = self
        let cached = RouteOptions(loopResponder: { [pages] request in pages.answer(request) })
        router.get("/api/v1/signals", options: cached) { request in try routes.list(request, symbolParameter: nil) }
        router.get("/api/v1/signals/symbol/{symbol}", options: cached) { request in
            try routes.list(request, symbolParameter: request.pathParameters["symbol"])
        }
        router.get("/api/v1/signals/funnel") { request in try routes.funnel(request) }
        router.get("/api/v1/signals/stream") { request in try routes.stream(request) }
        router.get("/api/v1/signals/quality") { request in try routes.quality(request) }
        router.post("/api/v1/signals/{id}/outcome", options: RouteOptions(maxBodyBytes: 64 << 10)) { request in try routes.report(request) }
        router.get("/api/v1/signals/{id}") { request in try routes.detail(request) }
        router.post("/api/v1/signals/generate", options: RouteOptions(maxBodyBytes: 1 << 20)) { request in try routes.generate(request) }
    }

    // MARK: - List

    func list(_ request: Request, symbolParameter: String?) throws -> Response {
        var q = QueryReader(request)
        var f = SignalFilter()
        let symbolText = symbolParameter ?? request.query["symbol"].flatMap { $0.isEmpty ? nil : $0 }
        if request.query["timeframe"] != nil { f.timeframe = q.timeframe() }
        if let s = request.query["strategy"], !s.isEmpty {
            if Strategies.names.contains(s) { f.strategy = s } else { q.fail("strategy", "must be one of \(Strategies.names.joined(separator: ", "))") }
        }
        if let d = request.query["direction"], !d.isEmpty {
            switch d.lowercased() {
            case "long", "buy": f.direction = .long
            case "short", "sell": f.direction = .short
            default: q.fail("direction", "must be long or short (BUY or SELL)")
            }
        }
        f.status = q.choice("status", Self.statuses, default: "active")
        f.minConfidence = q.fraction("min_confidence")
        f.since = q.time("since")
        f.asOf = q.time("as_of")
        f.limit = q.int("limit", default: 50, range: 1...Self.maxLimit)
        if let pos = q.cursor(kind: "g1", Self.cursorPosition) { f.before = pos }
        let ticker = symbolText.flatMap { q.ticker("symbol", $0) }
        try q.validate()
        f.symbolID = try ticker.map { try symbols.resolve($0) }?.id

        let version = pages.currentVersion()
        // After new signals, concurrent requests for the same page wait for the first one's result.
        if let shared = pages.joinOrLead(request, version: version) { return shared }
        defer { pages.abandon(request, version: version) }   // a no-op once the page is stored
        var w = JSONWriter(capacity: 4_096 + 1_800 * f.limit)
        w.beginObject()
        w.key("signals")
        let page = try signals.list(f, into: &w)
        w.key("next_cursor")
        if page.more, let last = page.last { w.string(Cursor.encode("g1", "\(last.0):\(last.1)")) } else { w.null() }
        if page.count == 0 && f.before == nil {
            w.key("reason")
            w.string(f.status == "active"
                     ? "no active signals match; signals whose horizon has passed are listed with status=expired (status=closed once their final outcome is a win or a loss), filtered candidates with status=filtered"
                     : "no signals match these filters")
        }
        w.endObject()
        let etag = pages.store(request, body: w.bytes, demo: page.demo, version: version)
        return ConditionalGET.respond(request, body: w.bytes, contentType: "application/json", demo: page.demo, etag: etag)
    }

    /// The position in a signal-list cursor (`g1`): a bar time and a signal id.
    static func cursorPosition(_ v: String) -> (ts: Int64, id: String)? {
        let parts = v.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let ts = Int64(parts[0]), RFC3339.range.contains(ts), UUIDText.isValid(String(parts[1])) else { return nil }
        return (ts, String(parts[1]))
    }

    // MARK: - One signal

    func detail(_ request: Request) throws -> Response {
        let id = (request.pathParameters["id"] ?? "").lowercased()
        guard UUIDText.isValid(id) else {
            throw HTTPError(.badRequest, detail: "a signal id is a UUID", errors: [FieldError(field: "id", message: "must be a UUID")])
        }
        var w = JSONWriter(capacity: 4_096)
        guard try signals.find(id: id, into: &w) else { throw HTTPError(.notFound, detail: "no signal has the id \(id)") }
        return ConditionalGET.respond(request, body: w.bytes, contentType: "application/json", demo: false)
    }

    // MARK: - Generate

    func generate(_ request: Request) throws -> Response {
        let body = request.body.isEmpty ? [:] : try JSONBody.object(request)
        var errors: [FieldError] = []
        var timeframe: Timeframe?
        if let raw = body["timeframe"], !(raw is NSNull) {
            if let s = raw as? String, let tf = Timeframe(rawValue: s) { timeframe = tf } else {
                errors.append(FieldError(field: "timeframe", message: "must be one of \(Timeframe.allNames)"))
            }
        }
        var tickers: [String]?
        if let raw = body["symbols"], !(raw is NSNull) {
            if let list = raw as? [Any], list.count <= 1_000 {
                tickers = []
                for (i, item) in list.enumerated() {
                    if let s = item as? String, NewSymbol.isValidTicker(s.uppercased()) { tickers?.append(s.uppercased()) } else {
                        errors.append(FieldError(field: "symbols[\(i)]", message: "is not a ticker"))
                    }
                }
            } else {
                errors.append(FieldError(field: "symbols", message: "must be an array of at most 1000 tickers"))
            }
        }
        for key in body.keys where key != "symbols" && key != "timeframe" {
            errors.append(FieldError(field: key, message: "is not a field of this request (symbols, timeframe)"))
        }
        if !errors.isEmpty {
            throw HTTPError(.badRequest, detail: "invalid field: \(errors.map(\.field).joined(separator: ", "))", errors: errors)
        }
        var ids: [Int64]?
        if let tickers {
            var unknown: [FieldError] = []
            ids = []
            for (i, t) in tickers.enumerated() {
                if let s = try symbols.find(t) { ids?.append(s.id) } else { unknown.append(FieldError(field: "symbols[\(i)]", message: "unknown symbol \(t)")) }
            }
            if !unknown.isEmpty { throw HTTPError(.notFound, detail: "unknown symbol: \(unknown.map(\.message).joined(separator: ", "))", errors: unknown) }
        }
        let summary = try service.generate(symbolIDs: ids, timeframe: timeframe)
        let shown = Array(summary.publishedSeqs.suffix(Self.maxLimit))
        var w = JSONWriter(capacity: 512 + 1_800 * shown.count)
        w.beginObject()
        w.key("generated"); w.number(summary.generated)
        w.key("rejected"); w.number(summary.rejected)
        w.key("series"); w.number(summary.series)
        w.key("bars_scanned"); w.number(summary.barsScanned)
        w.key("signals"); w.beginArray()
        if let first = shown.first {
            // From the primary, where they were just written (`signals` may be a read replica behind it).
            for s in try service.signals.published(after: first - 1, limit: shown.count + 1) where shown.contains(s.seq) { w.raw(s.json) }
        }
        w.endArray()
        if summary.publishedSeqs.count > shown.count { w.key("signals_truncated"); w.bool(true) }
        w.endObject()
        return .bytes(w.bytes, contentType: "application/json")
    }

    // MARK: - Outcomes

    func quality(_ request: Request) throws -> Response {
        var q = QueryReader(request)
        let timeframe: Timeframe? = request.query["timeframe"] != nil ? q.timeframe() : nil
        var strategy: String?
        if let s = request.query["strategy"], !s.isEmpty {
            if Strategies.names.contains(s) { strategy = s } else { q.fail("strategy", "must be one of \(Strategies.names.joined(separator: ", "))") }
        }
        let from = q.time("from"), to = q.time("to")
        if let from, let to, from > to { q.fail("to", "must not be before from") }
        try q.validate()
        var w = JSONWriter(capacity: 16_384)
        try outcomes.quality(timeframe: timeframe, strategy: strategy, from: from, to: to, into: &w)
        return .bytes(w.bytes, contentType: "application/json")
    }

    /// A client's outcome of a signal: idempotent by (signal, `Idempotency-Key`).
    func report(_ request: Request) throws -> Response {
        let id = (request.pathParameters["id"] ?? "").lowercased()
        var errors: [FieldError] = []
        if !UUIDText.isValid(id) { errors.append(FieldError(field: "id", message: "must be a UUID")) }
        let key = request.headers["Idempotency-Key"] ?? ""
        if key.isEmpty || key.count > 255 || key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value > 0x7e }) {
            errors.append(FieldError(field: "Idempotency-Key", message: "a header of 1 to 255 printable ASCII characters is required"))
        }
        let body = try JSONBody.object(request)
        var result: String?
        switch body["result"] {
        case let s as String where ["win", "loss", "breakeven"].contains(s): result = s
        default: errors.append(FieldError(field: "result", message: "is required: win, loss or breakeven"))
        }
        var exitPrice: Double?
        if let raw = body["exit_price"], !(raw is NSNull) {
            if let v = JSONBody.number(raw), v.isFinite, v > 0 {
                exitPrice = v
            } else { errors.append(FieldError(field: "exit_price", message: "must be a positive number")) }
        }
        var closedAt: Int64?
        if let raw = body["closed_at"], !(raw is NSNull) {
            if let s = raw as? String, let t = RFC3339.parse(s) { closedAt = t } else {
                errors.append(FieldError(field: "closed_at", message: "must be an RFC 3339 time"))
            }
        }
        var notes: String?
        if let raw = body["notes"], !(raw is NSNull) {
            if let s = raw as? String, s.count <= 2_000 { notes = s } else { errors.append(FieldError(field: "notes", message: "must be text of at most 2000 characters")) }
        }
        for k in body.keys.sorted() where !["result", "exit_price", "closed_at", "notes"].contains(k) {
            errors.append(FieldError(field: k, message: "is not a field of an outcome report (result, exit_price, closed_at, notes)"))
        }
        guard errors.isEmpty, let result else {
            throw HTTPError(.badRequest, detail: "invalid field: \(errors.map(\.field).joined(separator: ", "))", errors: errors)
        }
        let hash = "\(result)|\(exitPrice.map { "\($0)" } ?? "")|\(closedAt.map { "\($0)" } ?? "")|\(notes ?? "")"
        guard let (stored, created) = try outcomes.store.report(signalID: id, source: key, result: result, exitPrice: exitPrice,
                                                                closedAt: closedAt, notes: notes, bodyHash: hash) else {
            throw HTTPError(.notFound, detail: "no signal has the id \(id)")
        }
        guard stored.bodyHash == hash else {
            throw HTTPError(.unprocessableEntity, detail: "this Idempotency-Key was already used for this signal with a different body",
                            errors: [FieldError(field: "Idempotency-Key", message: "already used with a different body")])
        }
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.key("id"); w.number(stored.id)
        w.key("signal_id"); w.string(id)
        w.key("result"); w.string(stored.result)
        w.key("exit_price"); if let e = stored.exitPrice { w.number(e) } else { w.null() }
        w.key("closed_at"); if let c = stored.closedAt { w.string(RFC3339.format(c)) } else { w.null() }
        w.key("notes"); if let n = stored.notes { w.string(n) } else { w.null() }
        w.key("reported_at"); w.string(RFC3339.format(stored.reportedAt))
        w.endObject()
        var response = Response.bytes(w.bytes, contentType: "application/json", status: .created)
        if !created { response.headers.set("Idempotent-Replayed", "true") }
        return response
    }

    // MARK: - Funnel

    func funnel(_ request: Request) throws -> Response {
        var q = QueryReader(request)
        let timeframe: Timeframe? = request.query["timeframe"] != nil ? q.timeframe() : nil
        let ticker = request.query["symbol"].flatMap { $0.isEmpty ? nil : q.ticker("symbol", $0) }
        try q.validate()
        let symbol = try ticker.map { try symbols.resolve($0) }
        let rows = try signals.funnel(timeframe: timeframe, symbolID: symbol?.id)
        var w = JSONWriter(capacity: 4_096)
        w.beginObject()
        w.key("timeframe"); if let timeframe { w.string(timeframe.rawValue) } else { w.null() }
        Self.writeFunnel(rows, into: &w)
        w.key("by_strategy"); w.beginArray()
        for strategy in Set(rows.map(\.strategy)).sorted() {
            w.beginObject()
            w.key("strategy"); w.string(strategy)
            Self.writeFunnel(rows.filter { $0.strategy == strategy }, into: &w)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return .bytes(w.bytes, contentType: "application/json")
    }

    /// `candidates`, `published` and per layer in order: reached, passed, rejected.
    static func writeFunnel(_ rows: [(strategy: String, rejectedBy: String?, count: Int)], into w: inout JSONWriter) {
        let candidates = rows.reduce(0) { $0 + $1.count }
        w.key("candidates"); w.number(candidates)
        w.key("published"); w.number(rows.filter { $0.rejectedBy == nil }.reduce(0) { $0 + $1.count })
        w.key("layers"); w.beginArray()
        var reached = candidates
        for layer in Layer.allCases {
            let rejected = rows.filter { $0.rejectedBy == layer.rawValue }.reduce(0) { $0 + $1.count }
            w.beginObject()
            w.key("layer"); w.string(layer.rawValue)
            w.key("reached"); w.number(reached)
            w.key("passed"); w.number(reached - rejected)
            w.key("rejected"); w.number(rejected)
            w.endObject()
            reached -= rejected
        }
        w.endArray()
    }

    // MARK: - Stream

    func stream(_ request: Request) throws -> Response {
        var q = QueryReader(request)
        let timeframe: Timeframe? = request.query["timeframe"] != nil ? q.timeframe() : nil
        var lastEventID: Int64?
        // The header when it has a value, else the query parameter (an empty header is no header).
        let header = request.headers["Last-Event-ID"].flatMap { $0.isEmpty ? nil : $0 }
        if let raw = header ?? request.query["last_event_id"], !raw.isEmpty {
            let field = header == nil ? "last_event_id" : "Last-Event-ID"
            if let v = Int64(raw), v >= 0 { lastEventID = v } else { q.fail(field, "must be the id of an event this stream sent") }
        }
        let ticker = request.query["symbol"].flatMap { $0.isEmpty ? nil : q.ticker("symbol", $0) }
        try q.validate()
        let symbol = try ticker.map { try symbols.resolve($0) }
        let hub = self.hub
        let tf = timeframe?.rawValue
        let resume = lastEventID
        return .eventStream { writer in
            guard writer.write(Array("retry: 2000\n: connected\n\n".utf8)) else { return }
            do {
                try hub.subscribe(writer, symbol: symbol?.symbol, timeframe: tf, lastEventID: resume)
            } catch {
                _ = writer.write(ServerSentEvent.format(data: "the signal stream is unavailable; retry shortly", event: "error"))
                writer.finish()
            }
        }
    }
}
