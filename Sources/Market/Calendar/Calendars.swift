/// A market open around the clock every day: each session is 00:00–24:00 UTC (crypto).
public struct AlwaysOpenCalendar: TradingCalendar {
    /// `24x7`.
    public let identifier = "24x7"

    /// Creates the calendar.
    public init() {}

    /// The whole UTC day.
    public func session(on date: CivilDate) -> TradingSession? {
        let open = date.unixSeconds
        return TradingSession(date: date, open: open, close: open + 86_400)
    }

    /// Always nil: the market never closes.
    public func closureReason(on date: CivilDate) -> String? { nil }

    /// Always: every day has a session.
    public func trades(on date: CivilDate) -> Bool { true }
}

/// A market open all day Monday to Friday and closed at weekends, with no holidays; sessions are
/// 00:00–24:00 UTC. Used for FX and as the fallback for exchanges we have no calendar for.
public struct WeekdayCalendar: TradingCalendar {
    /// `24x5`.
    public let identifier = "24x5"

    /// Creates the calendar.
    public init() {}

    /// The whole UTC day on Monday–Friday; nil on Saturday and Sunday.
    public func session(on date: CivilDate) -> TradingSession? {
        guard date.weekday <= 5 else { return nil }
        let open = date.unixSeconds
        return TradingSession(date: date, open: open, close: open + 86_400)
    }

    /// Always nil: weekdays are never closed.
    public func closureReason(on date: CivilDate) -> String? { nil }

    /// Monday to Friday.
    public func trades(on date: CivilDate) -> Bool { date.weekday <= 5 }
}

/// Chooses the trading calendar for an instrument.
public enum Calendars {
    /// Exchange names (upper-cased) that trade on the NYSE calendar.
    public static let usExchanges: Set<String> = [
        "", "US", "XNYS", "NYSE", "NYQ", "XNAS", "NASDAQ", "NMS", "NGM", "NCM", "NGS", "NAS", "XASE", "AMEX", "ASE",
        "ARCA", "ARCX", "NYSEARCA", "PCX", "NYSE ARCA", "NYSEAMERICAN", "NYSE AMERICAN", "BATS", "BZX", "CBOE",
        "IEX", "OTC", "SNP", "DJI", "WCB", "NIM",
    ]

    /// Equity, ETF and index on a US exchange (or with no exchange given) → NYSE; equity, ETF and
    /// index elsewhere → the weekday calendar (no local holidays known); crypto → 24x7;
    /// FX → 24x5 (weekdays, 00:00–24:00 UTC: daily FX bars exist Monday to Friday).
    public static func calendar(for assetClass: AssetClass, exchange: String?) -> any TradingCalendar {
        switch assetClass {
        case .crypto:
            return AlwaysOpenCalendar()
        case .fx:
            return WeekdayCalendar()
        case .equity, .etf, .index:
            let name = (exchange ?? "").uppercased().trimmingSpaces()
            return usExchanges.contains(name) ? NYSECalendar() : WeekdayCalendar()
        }
    }
}

extension String {
    /// The string without leading and trailing spaces.
    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
