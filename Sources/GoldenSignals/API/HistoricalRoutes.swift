import Foundation
import HTTPServer
import Market

/// `GET /api/v1/market-data/{symbol}/historical?period=&interval=`: the existing frontend's chart
/// route. The period ends at the newest stored bar (not at the wall clock), so a historical series
/// still draws; `period_end` says where it ends.
struct HistoricalRoutes {
    let symbols: SymbolStore
    let bars: BarStore

    /// Period names and their length in days (`ytd` and `max` are handled apart).
    static let periods: [String: Int64] = ["1d": 1, "5d": 5, "1mo": 31, "3mo": 92, "6mo": 183, "1y": 366, "2y": 731, "5y": 1_827, "10y": 3_653]
    static let periodNames = ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"]
    static let intervals: [String: Timeframe] = ["1m": .m1, "5m": .m5, "15m": .m15, "30m": .m30, "1h": .h1, "60m": .h1, "4h": .h4,
                                                 "1d": .d1, "1wk": .w1, "1w": .w1]

    func register(on router: Router) {
        let routes = self
        router.get("/api/v1/market-data/{symbol}/historical") { request in try routes.get(request) }
    }

    func get(_ request: Request) throws -> Response {
        var q = QueryReader(request)
        let period = q.choice("period", Self.periodNames, default: "1mo")
        let intervalName = q.choice("interval", Self.intervals.keys.sorted(), default: "1d")
        let ticker = request.pathParameters["symbol"].flatMap { q.ticker("symbol", $0) }
        try q.validate()
        let symbol = try symbols.resolve(ticker ?? "")
        let timeframe = Self.intervals[intervalName] ?? .d1
        var series = try bars.all(symbolID: symbol.id, timeframe: timeframe)
        var aggregated = false
        if series.isEmpty, timeframe != .m1 {
            let minutes = try bars.all(symbolID: symbol.id, timeframe: .m1)
            if !minutes.isEmpty {
                let calendar: (any TradingCalendar)? = symbol.assetClass == .crypto || symbol.assetClass == .fx
                    ? nil : Calendars.calendar(for: symbol.assetClass, exchange: symbol.exchange)
                series = BarAggregator.aggregate(minutes, to: timeframe, calendar: calendar)
                aggregated = true
            }
        }
        let end = series.last?.timestamp
        var start = Int64.min
        if let end {
            if period == "ytd" { start = CivilDate(year: CivilDate(unixSeconds: end).year, month: 1, day: 1).unixSeconds }
            else if let days = Self.periods[period] { start = end - days * 86_400 + 1 }
        }
        let lo = series.firstIndex { $0.timestamp >= start } ?? series.count
        var w = JSONWriter(capacity: 256 + (series.count - lo) * 90)
        w.beginObject()
        w.key("symbol"); w.string(symbol.symbol)
        w.key("interval"); w.string(intervalName)
        w.key("period"); w.string(period)
        w.key("period_end"); if let end { w.string(RFC3339.format(end)) } else { w.null() }
        if aggregated { w.key("aggregated_from"); w.string("1m") }
        if symbol.isDemo { w.key("demo"); w.bool(true) }
        w.key("data"); w.beginArray()
        for b in series[lo...] {
            w.beginObject()
            w.key("time"); w.number(b.timestamp)
            w.key("open"); w.number(b.open); w.key("high"); w.number(b.high); w.key("low"); w.number(b.low)
            w.key("close"); w.number(b.close); w.key("volume"); w.number(b.volume)
            w.endObject()
        }
        w.endArray()
        if series.isEmpty { w.key("reason"); w.string("no \(timeframe.rawValue) bars (nor 1-minute bars to build them from) are stored for \(symbol.symbol)") }
        w.endObject()
        return ConditionalGET.respond(request, body: w.bytes, contentType: "application/json", demo: symbol.isDemo)
    }
}
