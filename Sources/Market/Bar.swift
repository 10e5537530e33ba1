/// One OHLCV bar. `timestamp` is the bar's start in Unix seconds (UTC); for daily and weekly
/// bars it is midnight UTC of the trading date (of the week's first trading date for weekly).
public struct Bar: Sendable, Hashable {
    public var timestamp: Int64
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    public var volume: Double

    public init(timestamp: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double) {
        self.timestamp = timestamp
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }
}
