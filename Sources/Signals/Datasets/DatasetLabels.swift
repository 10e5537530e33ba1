#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Indicators

/// A label asked for: `forward_return:H` or `triple_barrier:H:TP:SL` (TP and SL in ATR(14) multiples).
/// Label columns start with `label_` so they are never mistaken for features.
public enum DatasetLabel: Sendable, Hashable {
    case forwardReturn(horizon: Int)
    case tripleBarrier(horizon: Int, takeProfit: Double, stop: Double)

    /// How many bars after t the label reads.
    public var horizon: Int {
        switch self {
        case .forwardReturn(let h), .tripleBarrier(let h, _, _): h
        }
    }

    /// The label's columns.
    public var columns: [String] {
        switch self {
        case .forwardReturn(let h): return ["label_fwd_ret_\(h)"]   // ln(close_t+h) − ln(close_t)
        case .tripleBarrier(let h, let tp, let sl):
            let base = "label_tb_\(h)_\(Self.text(tp))_\(Self.text(sl))"
            return [base, base + "_bars"]
        }
    }

    /// The spec as written (`forward_return:5`).
    public var spec: String {
        switch self {
        case .forwardReturn(let h): "forward_return:\(h)"
        case .tripleBarrier(let h, let tp, let sl): "triple_barrier:\(h):\(Self.text(tp)):\(Self.text(sl))"
        }
    }

    static func text(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(String(v).map { $0 == "." ? "p" : $0 })
    }

    /// The marker column: 1 when some label's horizon runs past the last bar (those label values are null), else 0.
    public static let pastEndColumn = "label_horizon_past_end"

    /// Why signal outcome labels are not offered yet.
    public static let signalOutcomeUnavailable = "label_signal_outcome is not available yet: signal outcome scoring is being built in a separate issue"

    /// Parses `forward_return:5,triple_barrier:10:2:1` (empty: no labels).
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
                throw DatasetSpecError(field: "labels", message: signalOutcomeUnavailable)
            default:
                throw DatasetSpecError(field: "labels", message: "unknown label '\(item.prefix(40))'; known: forward_return:H, triple_barrier:H:TP:SL")
            }
            if out.dropLast().contains(out.last!) { throw DatasetSpecError(field: "labels", message: "\(item) is asked for twice") }
        }
        return out
    }
}

/// Label values over a whole series: they read bars after t by design.
public enum DatasetLabelEngine {
    /// The label columns (in `labels` order, each label's columns in order) and the past-end marker.
    public static func compute(_ s: PriceSeries, labels: [DatasetLabel]) -> (columns: [[Double]], pastEnd: [Bool]) {
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
            }
        }
        return (cols, pastEnd)
    }
}
