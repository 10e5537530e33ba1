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

extension Bar {
    /// `bars` sorted by time with one bar per timestamp: of bars sharing a timestamp, the last one
    /// given wins. The sort is stable; input that is already strictly increasing is returned as is.
    /// - Returns: the series and how many bars were dropped for a later one with the same timestamp.
    public static func sortedLastWins(_ bars: [Bar]) -> (bars: [Bar], replaced: Int) {
        var increasing = true, nondecreasing = true
        for i in bars.indices.dropFirst() {
            let (a, b) = (bars[i - 1].timestamp, bars[i].timestamp)
            if b <= a { increasing = false }
            if b < a { nondecreasing = false; break }
        }
        if increasing { return (bars, 0) }
        let ordered = nondecreasing ? bars
            : bars.indices.sorted { (bars[$0].timestamp, $0) < (bars[$1].timestamp, $1) }.map { bars[$0] }
        var out: [Bar] = []
        out.reserveCapacity(ordered.count)
        var replaced = 0
        for bar in ordered {
            if let last = out.last, last.timestamp == bar.timestamp {
                out[out.count - 1] = bar
                replaced += 1
            } else {
                out.append(bar)
            }
        }
        return (out, replaced)
    }
}
