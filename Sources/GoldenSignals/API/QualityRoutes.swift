import HTTPServer
import Market

/// `GET /api/v1/quality/{symbol}` and `GET /api/v1/quality`.
struct QualityRoutes {
    let symbols: SymbolStore
    let bars: BarStore
    let reports: QualityStore
    let quality: QualityService

    func register(on router: Router) {
        let (symbols, bars, reports, quality) = (self.symbols, self.bars, self.reports, self.quality)
        router.get("/api/v1/quality/{symbol}") { request in
            var q = QueryReader(request)
            let timeframe = q.timeframe()
            try q.validate()
            let symbol = try MarketDataRoutes.symbol(request, in: symbols)
            var stored = try reports.latest(symbolID: symbol.id, timeframe: timeframe)
            if stored == nil {
                // No report yet (bars written before reports existed): compute one now, if there is anything to check.
                guard try bars.latestTimestamp(symbolID: symbol.id, timeframe: timeframe) != nil else {
                    throw HTTPError(.notFound, detail: "no \(timeframe.rawValue) bars are stored for \(symbol.symbol), so there is nothing to check")
                }
                try quality.refresh(symbol, timeframe: timeframe, trigger: "on_demand")
                stored = try reports.latest(symbolID: symbol.id, timeframe: timeframe)
            }
            guard let report = stored else { throw HTTPError(.internalServerError) }
            var w = JSONWriter(capacity: report.checksJSON.utf8.count + report.issuesJSON.utf8.count + 256)
            w.beginObject()
            w.key("symbol"); w.string(symbol.symbol)
            w.key("timeframe"); w.string(timeframe.rawValue)
            w.key("score"); w.number((report.score * 10_000).rounded() / 10_000)
            w.key("bars_checked"); w.number(Int64(report.barsChecked))
            w.key("generated_at"); w.string(RFC3339.format(report.generatedAt))
            w.key("trigger"); w.string(report.trigger)
            if symbol.isDemo { w.key("demo"); w.bool(true) }
            w.key("checks"); w.raw(Array(report.checksJSON.utf8))
            w.key("issues_total"); w.number(Int64(report.issuesTotal))
            w.key("issues"); w.raw(Array(report.issuesJSON.utf8))
            w.endObject()
            return .bytes(w.bytes, contentType: "application/json")
        }

        router.get("/api/v1/quality") { request in
            var q = QueryReader(request)
            let timeframe = q.timeframe()
            let limit = q.int("limit", default: 100, range: 1...1_000)
            let offset = Int(q.cursor(range: 0...1_000_000_000) ?? 0)
            try q.validate()
            let page = try reports.summary(timeframe: timeframe, limit: limit, offset: offset)
            var w = JSONWriter(capacity: 200 * page.rows.count + 64)
            w.beginObject()
            w.key("timeframe"); w.string(timeframe.rawValue)
            w.key("symbols"); w.beginArray()
            for (i, r) in page.rows.enumerated() {
                w.beginObject()
                w.key("rank"); w.number(Int64(offset + i + 1))
                w.key("symbol"); w.string(r.symbol)
                if r.isDemo { w.key("demo"); w.bool(true) }
                w.key("score"); w.number((r.score * 10_000).rounded() / 10_000)
                w.key("previous_score"); if let p = r.previousScore { w.number((p * 10_000).rounded() / 10_000) } else { w.null() }
                w.key("change"); if let p = r.previousScore { w.number(((r.score - p) * 10_000).rounded() / 10_000) } else { w.null() }
                w.key("bars_checked"); w.number(Int64(r.barsChecked))
                w.key("issues_total"); w.number(Int64(r.issuesTotal))
                w.key("failing_checks"); w.beginArray(); for c in r.failingChecks { w.string(c) }; w.endArray()
                w.key("generated_at"); w.string(RFC3339.format(r.generatedAt))
                w.endObject()
            }
            w.endArray()
            w.key("next_cursor"); if page.more { w.string(Cursor.make(Int64(offset + limit))) } else { w.null() }
            w.endObject()
            return .bytes(w.bytes, contentType: "application/json")
        }
    }
}
