/// One trading session: its date and its regular open and close as Unix seconds (UTC).
public struct TradingSession: Sendable, Hashable {
    public var date: CivilDate
    public var open: Int64
    public var close: Int64
    public var isEarlyClose: Bool

    public init(date: CivilDate, open: Int64, close: Int64, isEarlyClose: Bool = false) {
        self.date = date
        self.open = open
        self.close = close
        self.isEarlyClose = isEarlyClose
    }
}

/// When a market trades. Shared by the quality checks, the market-hours filter and aggregation.
public protocol TradingCalendar: Sendable {
    /// A short stable name, e.g. `XNYS` or `24x7`.
    var identifier: String { get }
    /// The regular session on `date`, or nil when the market is closed that day.
    func session(on date: CivilDate) -> TradingSession?
    /// Why the market is closed on a weekday, when it is (e.g. "Good Friday"); nil otherwise.
    func closureReason(on date: CivilDate) -> String?
    /// Whether the market has a session on `date` (`session(on:) != nil`, without its hours).
    func trades(on date: CivilDate) -> Bool
}

extension TradingCalendar {
    public func trades(on date: CivilDate) -> Bool { session(on: date) != nil }
}
