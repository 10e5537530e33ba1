import Market
import Postgres

/// What a client asks of a series: a page of bars in time order.
public struct MarketDataQuery: Sendable {
    /// The ticker, upper-case.
    public var symbol: String
    public var timeframe: Timeframe
    /// Inclusive bounds, Unix seconds.
    public var from: Int64?
    public var to: Int64?
    /// The cursor: the last bar of the previous page (exclusive in the paging direction).
    public var after: Int64?
    public var descending: Bool
    public var limit: Int

    public init(symbol: String, timeframe: Timeframe, from: Int64? = nil, to: Int64? = nil, after: Int64? = nil,
                descending: Bool = false, limit: Int) {
        self.symbol = symbol
        self.timeframe = timeframe
        self.from = from
        self.to = to
        self.after = after
        self.descending = descending
        self.limit = limit
    }
}

/// One page of a series, stored or aggregated, with what the client is told about it.
public struct MarketDataPage: Sendable {
    public var symbol: SymbolRecord
    public var bars: [StoredBar]
    /// Whether bars follow this page.
    public var more: Bool
    /// The stored timeframe the page was aggregated from, when the asked one has no stored bars.
    public var aggregatedFrom: Timeframe?
    /// The bars' sources in order of first appearance.
    public var sources: [String]
    /// The calendar whose sessions aggregation follows: nil for round-the-clock markets (crypto, fx),
    /// whose bars aggregate by UTC day.
    public var calendar: (any TradingCalendar)?

    /// The sources as one label (`yahoo`, `file,upload`), or nil for an empty page.
    public var sourceLabel: String? { sources.isEmpty ? nil : sources.joined(separator: ",") }

    /// Demo data is labelled wherever it appears: a demo symbol, or any bar from the demo generator.
    public var isDemo: Bool { symbol.isDemo || sources.contains("demo") }
}

/// Answers market-data pages: a timeframe with stored bars is read as stored; one without is built
/// from the series' 1-minute bars (session-aware for exchange-traded symbols, by UTC day for crypto
/// and fx). Everything a page needs is read on one pooled connection.
public struct MarketDataService: Sendable {
    let pool: PostgresPool
    let symbols: SymbolStore
    let bars: BarStore

    /// The most 1-minute bars one aggregated page reads.
    public static let maxMinuteBars = 400_000

    public init(pool: PostgresPool, symbols: SymbolStore, bars: BarStore) {
        self.pool = pool
        self.symbols = symbols
        self.bars = bars
    }

    /// The page `query` asks for, or nil when the symbol is unknown.
    public func page(_ query: MarketDataQuery) throws -> MarketDataPage? {
        try pool.withConnection { conn in
            guard let symbol = try symbols.find(query.symbol, on: conn) else { return nil }
            let calendar = Self.aggregationCalendar(symbol)
            var page = try bars.page(symbolID: symbol.id, timeframe: query.timeframe, from: query.from, to: query.to,
                                     after: query.after, descending: query.descending, limit: query.limit, on: conn)
            var aggregatedFrom: Timeframe?
            if page.bars.isEmpty, query.timeframe != .m1,
               try !bars.hasSeries(symbolID: symbol.id, timeframe: query.timeframe, on: conn),
               try bars.hasSeries(symbolID: symbol.id, timeframe: .m1, on: conn) {
                page = try aggregatedPage(symbol, query, calendar: calendar, on: conn)
                aggregatedFrom = .m1
            }
            var sources: [String] = []
            for b in page.bars where !sources.contains(b.source) { sources.append(b.source) }
            return MarketDataPage(symbol: symbol, bars: page.bars, more: page.more, aggregatedFrom: aggregatedFrom,
                                  sources: sources, calendar: calendar)
        }
    }

    /// Crypto and fx trade round the clock: their bars aggregate by UTC day, whatever their calendar says.
    static func aggregationCalendar(_ symbol: SymbolRecord) -> (any TradingCalendar)? {
        symbol.assetClass == .crypto || symbol.assetClass == .fx
            ? nil : Calendars.calendar(for: symbol.assetClass, exchange: symbol.exchange)
    }

    /// A page of bars aggregated from stored 1-minute bars. Paging works as for stored bars: the
    /// cursor is the last bar's start.
    func aggregatedPage(_ symbol: SymbolRecord, _ q: MarketDataQuery, calendar: (any TradingCalendar)?,
                        on conn: PostgresConnection) throws -> (bars: [StoredBar], more: Bool) {
        let perBar = Int(q.timeframe.seconds / 60)
        let cap = min(Self.maxMinuteBars, (q.limit + 2) * perBar)
        // Descending pages start below the cursor's bucket; ascending ones at the cursor (its own partial bucket is dropped below).
        let minutes = try bars.page(symbolID: symbol.id, timeframe: .m1, from: q.from, to: q.to, after: q.after,
                                    descending: q.descending, limit: cap, on: conn)
        var source: [String] = []
        for b in minutes.bars where !source.contains(b.source) { source.append(b.source) }
        let label = source.joined(separator: ",")
        let chronological = q.descending ? minutes.bars.reversed().map(\.bar) : minutes.bars.map(\.bar)
        var aggregated = BarAggregator.aggregate(chronological, to: q.timeframe, calendar: calendar)
        if let after = q.after { aggregated.removeAll { q.descending ? $0.timestamp >= after : $0.timestamp <= after } }
        // Where the read stopped at its cap, the bucket at the cut may be incomplete: leave it to the next page.
        if minutes.more, !aggregated.isEmpty { if q.descending { aggregated.removeFirst() } else { aggregated.removeLast() } }
        if q.descending { aggregated.reverse() }
        let more = minutes.more || aggregated.count > q.limit
        return (aggregated.prefix(q.limit).map { StoredBar(bar: $0, source: label) }, more)
    }
}
