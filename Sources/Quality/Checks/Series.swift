import Market

/// A series under check: its bars in time order and how to read them.
struct Series {
    let input: QualityInput
    /// The bars, sorted by time (stable).
    let bars: [Bar]
    /// The bar interval in seconds.
    let step: Int64
    let intraday: Bool

    init(input: QualityInput, sortedBars: [Bar]) {
        self.input = input
        self.bars = sortedBars
        self.step = input.timeframe.seconds
        self.intraday = input.timeframe.isIntraday
    }

    var count: Int { bars.count }
    var calendar: any TradingCalendar { input.calendar }

    /// The day (days since 1970-01-01, UTC) of a timestamp.
    @inline(__always) static func day(_ t: Int64) -> Int64 { t >= 0 ? t / 86_400 : (t - 86_399) / 86_400 }
}
