import Market

/// One bar series as a struct of arrays, the shape strategies, layers and indicators read.
/// Times are bar starts in Unix seconds (UTC), ascending and unique.
public struct PriceSeries: Sendable {
    public var time: [Int64]
    public var open: [Double]
    public var high: [Double]
    public var low: [Double]
    public var close: [Double]
    public var volume: [Double]

    /// A series from bars already in time order (as `BarStore` returns them).
    public init(_ bars: [Bar]) {
        time = bars.map(\.timestamp)
        open = bars.map(\.open)
        high = bars.map(\.high)
        low = bars.map(\.low)
        close = bars.map(\.close)
        volume = bars.map(\.volume)
    }

    /// The number of bars.
    public var count: Int { time.count }

    /// The bar at `i`.
    public func bar(_ i: Int) -> Bar {
        Bar(timestamp: time[i], open: open[i], high: high[i], low: low[i], close: close[i], volume: volume[i])
    }

    /// The first `n` bars: the history as it stood at bar `n − 1`'s close (truncation tests use it).
    public func prefix(_ n: Int) -> PriceSeries {
        var s = self
        s.time = Array(time.prefix(n)); s.open = Array(open.prefix(n)); s.high = Array(high.prefix(n))
        s.low = Array(low.prefix(n)); s.close = Array(close.prefix(n)); s.volume = Array(volume.prefix(n))
        return s
    }
}
