import Foundation
import HTTPServer
import Market
import Primitives

/// `GET /api/v1/market-data/{symbol}` and `POST /api/v1/market-data/{symbol}/bars`.
struct MarketDataRoutes {
    let symbols: SymbolStore
    let marketData: MarketDataService
    let imports: ImportService
    let metrics: MetricsRegistry
    /// Seconds an upload's handler may take (it stores, checks and scans the bars); 0: no deadline.
    var uploadTimeout: Double = 300

    /// Keys of the bar objects, encoded once.
    enum Keys {
        static let timestamp = JSONKey("timestamp"), open = JSONKey("open"), high = JSONKey("high")
        static let low = JSONKey("low"), close = JSONKey("close"), volume = JSONKey("volume")
    }

    /// The largest page a client may ask for.
    static let maxLimit = 10_000
    /// The most bars one upload may carry.
    static let maxUploadBars = 500_000

    func register(on router: Router) {
        let routes = self
        router.get("/api/v1/market-data/{symbol}") { request in try routes.get(request) }
        router.post("/api/v1/market-data/{symbol}/bars", options: RouteOptions(maxBodyBytes: 32 << 20, handlerTimeout: uploadTimeout)) { request in
            try routes.upload(request)
        }
    }

    /// Looks up the path's symbol (case-insensitive) or answers 404.
    static func symbol(_ request: Request, in symbols: SymbolStore) throws -> SymbolRecord {
        let ticker = try ticker(request)
        guard let record = try symbols.find(ticker) else { throw unknownSymbol(ticker) }
        return record
    }

    /// The path's ticker, upper-cased, or 400.
    static func ticker(_ request: Request) throws -> String {
        let raw = (request.pathParameters["symbol"] ?? "").uppercased()
        guard NewSymbol.isValidTicker(raw) else {
            throw HTTPError(.badRequest, detail: "'\(raw.prefix(40))' is not a ticker", errors: [FieldError(field: "symbol", message: "is not a valid ticker")])
        }
        return raw
    }

    static func unknownSymbol(_ ticker: String) -> HTTPError {
        HTTPError(.notFound, detail: "unknown symbol \(ticker); create it with POST /api/v1/symbols")
    }

    func get(_ request: Request) throws -> Response {
        var q = QueryReader(request)
        let timeframe = q.timeframe()
        let from = q.time("from")
        let to = q.time("to")
        let limit = q.int("limit", default: 1_000, range: 1...Self.maxLimit)
        let order = q.choice("order", ["asc", "desc"], default: "asc")
        let cursor = q.cursor()
        // `format=csv|json` beside `Accept: text/csv`, for clients that cannot set Accept (generated ones).
        let format = q.choice("format", ["json", "csv"], default: "")
        if let from, let to, from > to { q.fail("from", "must not be after to") }
        try q.validate()
        let ticker = try Self.ticker(request)
        guard let page = try marketData.page(MarketDataQuery(symbol: ticker, timeframe: timeframe, from: from, to: to,
                                                                 after: cursor, descending: order == "desc", limit: limit)) else {
            throw Self.unknownSymbol(ticker)
        }
        let symbol = page.symbol
        let next = page.more ? page.bars.last.map { Cursor.make($0.bar.timestamp) } : nil
        let sourceLabel = page.sourceLabel

        let wantsCSV = format.isEmpty ? (request.headers["Accept"] ?? "").lowercased().contains("text/csv") : format == "csv"
        let body: [UInt8]
        let contentType: String
        if wantsCSV {
            body = Self.csv(page.bars)
            contentType = "text/csv; charset=utf-8"
        } else {
            var w = JSONWriter(capacity: 96 * page.bars.count + 256)
            w.beginObject()
            w.key("symbol"); w.string(symbol.symbol)
            w.key("timeframe"); w.string(timeframe.rawValue)
            w.key("source"); if let sourceLabel { w.string(sourceLabel) } else { w.null() }
            if page.isDemo { w.key("demo"); w.bool(true) }
            if let aggregatedFrom = page.aggregatedFrom { w.key("aggregated_from"); w.string(aggregatedFrom.rawValue) }
            w.key("bars"); w.beginArray()
            var ts: [UInt8] = []
            ts.reserveCapacity(24)
            for b in page.bars {
                w.beginObject()
                ts.removeAll(keepingCapacity: true)
                ts.append(0x22)
                RFC3339.append(b.bar.timestamp, to: &ts)   // digits, '-', ':', 'T', 'Z': nothing to escape
                ts.append(0x22)
                w.key(Keys.timestamp); w.raw(ts)
                w.key(Keys.open); w.number(b.bar.open)
                w.key(Keys.high); w.number(b.bar.high)
                w.key(Keys.low); w.number(b.bar.low)
                w.key(Keys.close); w.number(b.bar.close)
                w.key(Keys.volume); w.number(b.bar.volume)
                w.endObject()
            }
            w.endArray()
            if page.bars.isEmpty {
                w.key("reason")
                w.string(from != nil || to != nil || cursor != nil
                         ? "no \(timeframe.rawValue) bars of \(symbol.symbol) in the requested range"
                         : "no \(timeframe.rawValue) bars are stored for \(symbol.symbol)")
            }
            w.key("next_cursor"); if let next { w.string(next) } else { w.null() }
            w.endObject()
            body = w.bytes
            contentType = "application/json"
        }

        var headers = HTTPHeaders()
        headers.set("Vary", "Accept")
        if let sourceLabel { headers.set("X-Data-Source", sourceLabel) }
        if let newest = page.bars.map(\.bar.timestamp).max() {
            let age = max(0, Int64(Date().timeIntervalSince1970) - (newest + timeframe.seconds))
            headers.set("X-Data-Age", String(age))
        }
        if let aggregatedFrom = page.aggregatedFrom { headers.set("X-Aggregated-From", aggregatedFrom.rawValue) }
        return ConditionalGET.respond(request, body: body, contentType: contentType, demo: page.isDemo, headers: headers)
    }

    static func csv(_ bars: [StoredBar]) -> [UInt8] {
        var out: [UInt8] = Array("timestamp,open,high,low,close,volume,source\n".utf8)
        out.reserveCapacity(out.count + bars.count * 80)
        for b in bars {
            RFC3339.append(b.bar.timestamp, to: &out); out.append(44)
            DecimalText.append(b.bar.open, to: &out); out.append(44)
            DecimalText.append(b.bar.high, to: &out); out.append(44)
            DecimalText.append(b.bar.low, to: &out); out.append(44)
            DecimalText.append(b.bar.close, to: &out); out.append(44)
            DecimalText.append(b.bar.volume, to: &out); out.append(44)
            out.append(contentsOf: b.source.utf8); out.append(10)
        }
        return out
    }

    /// FNV-1a 64 of the body, as an entity tag.
    static func fnv1a(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    // MARK: - Upload

    func upload(_ request: Request) throws -> Response {
        var q = QueryReader(request)
        let timeframe = q.timeframe()
        let zone = q.choice("tz", LocalTimeZone.names, default: "utc")
        try q.validate()
        let symbol = try Self.symbol(request, in: symbols)
        let contentType = (request.headers["Content-Type"] ?? "").lowercased()
        var bars: [Bar] = []
        var rejected: [(row: Int, reason: String)] = []   // the first maxRejectedKept
        var rejectedTotal = 0
        var received = 0
        // A CSV file comes as text/csv, or as the bytes of a file (application/octet-stream, what generated clients send).
        let isCSV = contentType.hasPrefix("text/csv") || contentType.hasPrefix("application/octet-stream")
        if isCSV {
            if request.body.contains(0) {
                throw HTTPError(.badRequest, detail: "the CSV contains a NUL byte", errors: [FieldError(field: "body", message: "must not contain NUL bytes")])
            }
            let localZone = LocalTimeZone(name: zone) ?? .utc
            let parsed: CSVParseResult
            do {
                parsed = try OHLCVCSVReader.parse(request.body, options: CSVImportOptions(timeframe: timeframe, localTimeZone: localZone))
            } catch {
                throw HTTPError(.badRequest, detail: "the CSV cannot be read: \(error)", errors: [FieldError(field: "body", message: "\(error)")])
            }
            bars = parsed.bars
            received = parsed.dataRows
            rejected = parsed.rejected.map { ($0.line, $0.reason) }
            rejectedTotal = parsed.rejectedTotal
        } else {
            // The cap is checked while scanning, before anything is parsed: 32 MiB of `{},` would otherwise
            // become millions of dictionaries first.
            if JSONScan.arrayElementsExceed(request.body, depth: 2, limit: Self.maxUploadBars) {
                throw HTTPError(.payloadTooLarge, detail: "at most \(Self.maxUploadBars) bars per request")
            }
            let body = try JSONBody.object(request)
            guard let items = body["bars"] as? [Any] else {
                throw HTTPError(.badRequest, detail: "the body must be {\"bars\": [...]}", errors: [FieldError(field: "bars", message: "must be an array of bars")])
            }
            guard items.count <= Self.maxUploadBars else {
                throw HTTPError(.payloadTooLarge, detail: "at most \(Self.maxUploadBars) bars per request")
            }
            received = items.count
            for (i, item) in items.enumerated() {
                switch Self.parseBar(item) {
                case .success(let bar): bars.append(bar)
                case .failure(let reason):
                    rejectedTotal += 1
                    if rejected.count < OHLCVCSVReader.maxRejectedKept { rejected.append((i + 1, reason.message)) }
                }
            }
        }
        if received == 0 {
            throw HTTPError(.badRequest, detail: "no bars were sent", errors: [FieldError(field: "bars", message: "is empty")])
        }
        if bars.isEmpty {
            // Nothing could be stored: not a success. The first reasons say why.
            let field = isCSV ? "body" : "bars"
            throw HTTPError(HTTPStatus(422), detail: "none of the \(received) rows is a valid bar (\(rejectedTotal) rejected)",
                            errors: rejected.prefix(20).map { FieldError(field: field, message: "row \($0.row): \($0.reason)") })
        }
        let counts = try imports.store(bars, for: symbol, timeframe: timeframe, source: "upload", trigger: "upload")
        metrics.recordBarsIngested(source: "upload", count: counts.inserted + counts.updated)
        var w = JSONWriter(capacity: 128 + rejected.count * 64)
        w.beginObject()
        w.key("symbol"); w.string(symbol.symbol)
        w.key("timeframe"); w.string(timeframe.rawValue)
        w.key("received"); w.number(Int64(received))
        w.key("inserted"); w.number(Int64(counts.inserted))
        w.key("updated"); w.number(Int64(counts.updated))
        w.key("unchanged"); w.number(Int64(counts.unchanged))
        w.key("rejected"); w.beginArray()
        for r in rejected {
            w.beginObject(); w.key("row"); w.number(Int64(r.row)); w.key("reason"); w.string(r.reason); w.endObject()
        }
        w.endArray()
        if rejectedTotal > rejected.count { w.key("rejected_total"); w.number(Int64(rejectedTotal)) }
        w.endObject()
        return .bytes(w.bytes, contentType: "application/json")
    }

    struct RowError: Error { var message: String }

    /// One JSON bar, or why it cannot be one.
    static func parseBar(_ item: Any) -> Result<Bar, RowError> {
        guard let o = item as? [String: Any] else { return .failure(RowError(message: "not an object")) }
        let ts: Int64
        if let s = o["timestamp"] as? String {
            guard let t = RFC3339.parse(s) else { return .failure(RowError(message: "timestamp: not an RFC 3339 time")) }
            ts = t
        } else if let n = JSONBody.number(o["timestamp"]), n.isFinite, n == n.rounded(),
                  n >= Double(RFC3339.minSeconds), n <= Double(RFC3339.maxSeconds) {
            ts = Int64(n)
        } else {
            return .failure(RowError(message: "timestamp: missing or not a time"))
        }
        var values: [Double] = []
        for field in ["open", "high", "low", "close", "volume"] {
            guard let v = JSONBody.number(o[field]) else { return .failure(RowError(message: "\(field): missing or not a number")) }
            guard v.isFinite else { return .failure(RowError(message: "\(field): not finite")) }
            guard v >= 0 else { return .failure(RowError(message: "\(field): negative")) }
            values.append(v)
        }
        return .success(Bar(timestamp: ts, open: values[0], high: values[1], low: values[2], close: values[3], volume: values[4]))
    }
}
