#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Indicators

/// A label asked for: `forward_return:H`, `triple_barrier:H:TP:SL` (TP and SL in ATR(14) multiples), or
/// `signal_outcome[:STRATEGY]` (what the published signal on the bar went on to do, as scored by the outcome rules).
/// Label columns start with `label_` so they are never mistaken for features.
public enum DatasetLabel: Sendable, Hashable {
    case forwardReturn(horizon: Int)
    case tripleBarrier(horizon: Int, takeProfit: Double, stop: Double)
    /// The outcome of the published signal on each bar: of one strategy, or (nil) of the most confident one.
    case signalOutcome(strategy: String?)

    /// How many bars after t the label reads (for a signal outcome, the longest horizon of the strategies it covers).
    public var horizon: Int {
        switch self {
        case .forwardReturn(let h), .tripleBarrier(let h, _, _): h
        case .signalOutcome(let name):
            Strategies.defaults.filter { name == nil || $0.name == name }.map(\.horizonBars).max() ?? 0
        }
    }

    /// Whether the label is read from stored signal outcomes (which the caller passes to `DatasetLabelEngine`).
    public var needsSignalOutcomes: Bool { if case .signalOutcome = self { true } else { false } }

    /// The label's columns.
    public var columns: [String] {
        switch self {
        case .forwardReturn(let h): return ["label_fwd_ret_\(h)"]   // ln(close_t+h) − ln(close_t)
        case .tripleBarrier(let h, let tp, let sl):
            let base = "label_tb_\(h)_\(Self.text(tp))_\(Self.text(sl))"
            return [base, base + "_bars"]
        case .signalOutcome(let name):
            let suffix = name.map { "_" + $0 } ?? ""
            return ["label_signal_outcome" + suffix, "label_signal_return" + suffix]   // 1 win, −1 loss, 0 expired; net return
        }
    }

    /// The spec as written (`forward_return:5`).
    public var spec: String {
        switch self {
        case .forwardReturn(let h): "forward_return:\(h)"
        case .tripleBarrier(let h, let tp, let sl): "triple_barrier:\(h):\(Self.text(tp)):\(Self.text(sl))"
        case .signalOutcome(let name): name.map { "signal_outcome:" + $0 } ?? "signal_outcome"
        }
    }

    static func text(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(String(v).map { $0 == "." ? "p" : $0 })
    }

    /// The marker column: 1 when some label's horizon runs past the last bar (those label values are null), else 0.
    public static let pastEndColumn = "label_horizon_past_end"

    /// Parses `forward_return:5,triple_barrier:10:2:1,signal_outcome:sma_crossover` (empty: no labels).
    public static func parse(_ text: String) throws -> [DatasetLabel] {
        var out: [DatasetLabel] = []
        for item in text.split(separator: ",").map(String.init) {
            let p = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            func int(_ k: Int) -> Int? { k < p.count ? Int(p[k]).flatMap { (1...1000).contains($0) ? $0 : nil } : nil }
            func mult(_ k: Int) -> Double? { k < p.count ? Double(p[k]).flatMap { $0.isFinite && $0 > 0 && $0 <= 100 ? $0 : nil } : nil }
            switch p[0].lowercased() {
            case "forward_return":
                guard p.count == 2, let h = int(1) else {
                    throw DatasetSpecError(field: "labels", message: "forward_return:H with H a whole number of bars from 1 to 1000")
                }
                out.append(.forwardReturn(horizon: h))
            case "triple_barrier":
                guard p.count == 4, let h = int(1), let tp = mult(2), let sl = mult(3) else {
                    throw DatasetSpecError(field: "labels", message: "triple_barrier:H:TP:SL with H bars from 1 to 1000 and TP, SL positive ATR multiples up to 100")
                }
                out.append(.tripleBarrier(horizon: h, takeProfit: tp, stop: sl))
            case "signal_outcome":
                let names = Strategies.names
                guard p.count <= 2, p.count == 1 || names.contains(p[1]) else {
                    throw DatasetSpecError(field: "labels", message: "signal_outcome or signal_outcome:STRATEGY with STRATEGY one of \(names.joined(separator: ", "))")
                }
                out.append(.signalOutcome(strategy: p.count == 2 ? p[1] : nil))
            default:
                throw DatasetSpecError(field: "labels", message: "unknown label '\(item.prefix(40))'; known: forward_return:H, triple_barrier:H:TP:SL, signal_outcome[:STRATEGY]")
            }
            if out.dropLast().contains(out.last!) { throw DatasetSpecError(field: "labels", message: "\(item) is asked for twice") }
        }
        return out
    }
}

/// The stored outcome of one published signal, as a signal-outcome label reads it.
public struct SignalOutcomePoint: Sendable, Hashable {
    /// The signal's bar time.
    public var time: Int64
    public var strategy: String
    /// Its confidence when published (which signal of a bar a strategy-less label takes).
    public var confidence: Double
    /// Whether the outcome is final; a provisional one is not a label yet (its horizon runs past the data).
    public var final: Bool
    /// 1 win, −1 loss, 0 expired.
    public var result: Double
    /// The net return of the trade the signal describes (after the outcome rules' costs; positive is a gain for its direction).
    public var netReturn: Double

    public init(time: Int64, strategy: String, confidence: Double, final: Bool, result: Double, netReturn: Double) {
        self.time = time; self.strategy = strategy; self.confidence = confidence
        self.final = final; self.result = result; self.netReturn = netReturn
    }
}

/// Label values over a whole series: they read bars after t by design.
public enum DatasetLabelEngine {
    /// The label columns (in `labels` order, each label's columns in order) and the past-end marker.
    /// - Parameter outcomes: the series' published signals with their outcomes, for `signal_outcome` labels.
    public static func compute(_ s: PriceSeries, labels: [DatasetLabel],
                               outcomes: [SignalOutcomePoint] = []) -> (columns: [[Double]], pastEnd: [Bool]) {
        let n = s.count
        var pastEnd = [Bool](repeating: false, count: n)
        var cols: [[Double]] = []
        let logClose = labels.contains { if case .forwardReturn = $0 { true } else { false } }
            ? s.close.map { $0 > 0 ? log($0) : .nan } : []
        let atr = labels.contains { if case .tripleBarrier = $0 { true } else { false } }
            ? TA.atr(high: s.high, low: s.low, close: s.close, period: 14) : []
        for label in labels {
            switch label {
            case .forwardReturn(let h):
                var col = [Double](repeating: .nan, count: n)
                for i in 0..<n {
                    if i + h < n { col[i] = logClose[i + h] - logClose[i] } else { pastEnd[i] = true }
                }
                cols.append(col)
            case .tripleBarrier(let h, let tp, let sl):
                var side = [Double](repeating: .nan, count: n), took = [Double](repeating: .nan, count: n)
                for i in 0..<n {
                    let a = atr[i]
                    guard a.isFinite, a > 0 else {
                        if i + h >= n { pastEnd[i] = true }
                        continue
                    }
                    let upper = s.close[i] + tp * a, lower = s.close[i] - sl * a
                    var j = 1
                    var result: Double?
                    while j <= h, i + j < n {
                        // A bar reaching both barriers counts as the stop: the order inside a bar is unknown.
                        if s.low[i + j] <= lower { result = -1; break }
                        if s.high[i + j] >= upper { result = 1; break }
                        j += 1
                    }
                    if let result {
                        side[i] = result; took[i] = Double(j)
                    } else if i + h < n {
                        side[i] = 0; took[i] = Double(h)
                    } else {
                        pastEnd[i] = true
                    }
                }
                cols.append(side)
                cols.append(took)
            case .signalOutcome(let name):
                var result = [Double](repeating: .nan, count: n), ret = [Double](repeating: .nan, count: n)
                // The signal a bar's label reads: the strategy's, or the most confident one's.
                var chosen: [Int: SignalOutcomePoint] = [:]
                for o in outcomes where name == nil || o.strategy == name {
                    guard let i = index(of: o.time, in: s.time) else { continue }
                    if let c = chosen[i], c.confidence >= o.confidence { continue }
                    chosen[i] = o
                }
                for (i, o) in chosen {
                    if o.final { result[i] = o.result; ret[i] = o.netReturn } else { pastEnd[i] = true }
                }
                cols.append(result)
                cols.append(ret)
            }
        }
        return (cols, pastEnd)
    }

    /// The index of the bar at `t` (times ascending), or nil.
    static func index(of t: Int64, in times: [Int64]) -> Int? {
        var lo = 0, hi = times.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if times[mid] < t { lo = mid + 1 } else { hi = mid }
        }
        return lo < times.count && times[lo] == t ? lo : nil
    }
}
