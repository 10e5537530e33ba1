import Foundation
import HTTPServer
import Market
import Signals

/// `GET /api/v1/indicators/{symbol}`: indicators computed over the whole stored history (so the
/// warm-up never depends on the window asked for), returned for the requested window.
struct IndicatorRoutes {
    let symbols: SymbolStore
    let bars: BarStore

    static let maxLimit = 10_000

    func register(on router: Router) {
        let routes = self
        router.get("/api/v1/indicators/{symbol}") { request in try routes.get(request) }
    }

    func get(_ request: Request) throws -> Response {
        var q = QueryReader(request)
        let timeframe = q.timeframe()
        let from = q.time("from")
        let to = q.time("to")
        let limit = q.int("limit", default: 50, range: 1...Self.maxLimit)
        let cursor = q.cursor()
        if let from, let to, from > to { q.fail("from", "must not be after to") }
        var specs: [IndicatorSpec] = []
        do {
            specs = try IndicatorSpec.parse(request.query["names"].flatMap { $0.isEmpty ? nil : $0 } ?? IndicatorSpec.defaultNames)
        } catch let e as IndicatorSpecError {
            q.fail("names", e.message)
        }
        if !timeframe.isIntraday, specs.contains(where: \.needsSessions) { q.fail("names", "vwap is computed per intraday session; ask for an intraday timeframe") }
        let ticker = request.pathParameters["symbol"].flatMap { q.ticker("symbol", $0) }
        try q.validate()
        let symbol = try symbols.resolve(ticker ?? "")
        let all = try bars.all(symbolID: symbol.id, timeframe: timeframe)
        let series = PriceSeries(all)
        let sessions = specs.contains(where: \.needsSessions) ? Self.sessionStarts(series, symbol) : nil
        var columns: [(String, [Double])] = []
        for spec in specs {
            for (name, line) in zip(spec.columns, spec.compute(series, sessionStart: sessions)) { columns.append((name, line)) }
        }

        // The window: after the cursor, or from `from`, or else the newest `limit` bars up to `to`.
        let times = series.time
        let end = to.map { t in times.partitioningIndex { $0 > t } } ?? times.count
        let start: Int
        if let cursor { start = times.partitioningIndex { $0 > cursor } } else if let from { start = times.partitioningIndex { $0 >= from } } else { start = max(0, end - limit) }
        let stop = min(end, start + limit)

        var w = JSONWriter(capacity: 256 + max(0, stop - start) * (40 + 24 * columns.count))
        w.beginObject()
        w.key("symbol"); w.string(symbol.symbol)
        w.key("timeframe"); w.string(timeframe.rawValue)
        w.key("indicators"); w.beginArray(); for c in columns { w.string(c.0) }; w.endArray()
        if symbol.isDemo { w.key("demo"); w.bool(true) }
        w.key("rows"); w.beginArray()
        if start < stop {
            for i in start..<stop {
                w.beginObject()
                w.key("timestamp"); w.string(RFC3339.format(times[i]))
                w.key("values"); w.beginObject()
                for (name, line) in columns { w.key(name); w.number(line[i]) }   // NaN (warm-up) is written as null
                w.endObject()
                w.endObject()
            }
        }
        w.endArray()
        if all.isEmpty { w.key("reason"); w.string("no \(timeframe.rawValue) bars are stored for \(symbol.symbol)") }
        w.key("next_cursor"); if stop < end, stop > start { w.string(Cursor.make(times[stop - 1])) } else { w.null() }
        w.endObject()
        return ConditionalGET.respond(request, body: w.bytes, contentType: "application/json", demo: symbol.isDemo)
    }

    /// Where each intraday session begins: a new exchange-local date (New York time for US
    /// exchanges, UTC otherwise).
    static func sessionStarts(_ s: PriceSeries, _ symbol: SymbolRecord) -> [Bool] {
        let newYork = Calendars.calendar(for: symbol.assetClass, exchange: symbol.exchange) is NYSECalendar
        var out = [Bool](repeating: false, count: s.count)
        var previous: Int64?
        for (i, t) in s.time.enumerated() {
            let day = (t + (newYork ? ExchangeTime.newYorkOffset(atUTC: t) : 0)).floorDiv(86_400)
            out[i] = day != previous
            previous = day
        }
        return out
    }
}

extension Int64 {
    /// Floor division (rounds toward −∞, unlike `/`).
    func floorDiv(_ d: Int64) -> Int64 { self >= 0 ? self / d : -((-self + d - 1) / d) }
}

extension Array where Element == Int64 {
    /// The first index whose element satisfies `belongs` (which must be false then true along the array).
    func partitioningIndex(where belongs: (Int64) -> Bool) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if belongs(self[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
