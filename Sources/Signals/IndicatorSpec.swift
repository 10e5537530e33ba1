import Indicators

/// An indicator asked for by name and parameters (`sma:20`, `macd:12:26:9`, `bbands:20:2`, `obv`),
/// with the output columns it yields (`sma_20`; `macd`, `macd_signal`, `macd_hist`; …).
public struct IndicatorSpec: Sendable, Hashable {
    public var name: String
    public var parameters: [Double]

    /// The set served when a client names none.
    public static let defaultNames = "sma:20,ema:20,rsi:14,macd:12:26:9,bbands:20:2,atr:14,stoch:14:3:3,obv,adx:14"

    /// Every known indicator with its parameter names and defaults.
    public static let catalog: [(name: String, parameters: [(String, Double, ClosedRange<Double>)])] = [
        ("sma", [("period", 20, 2...100_000)]), ("ema", [("period", 20, 2...100_000)]), ("wma", [("period", 20, 2...100_000)]),
        ("rsi", [("period", 14, 2...100_000)]),
        ("macd", [("fast", 12, 2...100_000), ("slow", 26, 2...100_000), ("signal", 9, 1...100_000)]),
        ("bbands", [("period", 20, 2...100_000), ("k", 2, 0.01...100)]),
        ("atr", [("period", 14, 1...100_000)]), ("natr", [("period", 14, 1...100_000)]),
        ("stoch", [("fastk", 14, 1...100_000), ("slowk", 3, 1...100_000), ("slowd", 3, 1...100_000)]),
        ("willr", [("period", 14, 2...100_000)]), ("cci", [("period", 20, 2...100_000)]), ("mfi", [("period", 14, 2...100_000)]),
        ("obv", []), ("adx", [("period", 14, 2...100_000)]), ("roc", [("period", 10, 1...100_000)]),
        ("donchian", [("period", 20, 1...100_000)]), ("vwap", []),
    ]

    /// Parses a comma-separated list.
    /// - Throws: `IndicatorSpecError` naming the first unknown indicator or bad parameter.
    public static func parse(_ text: String) throws -> [IndicatorSpec] {
        var out: [IndicatorSpec] = []
        var columns = Set<String>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let name = parts[0].lowercased()
            guard let entry = catalog.first(where: { $0.name == name }) else {
                throw IndicatorSpecError(item: String(item), message: "unknown indicator '\(parts[0].prefix(40))'; known: \(catalog.map(\.name).joined(separator: ", "))")
            }
            let given = parts.dropFirst()
            guard given.count <= entry.parameters.count else {
                throw IndicatorSpecError(item: String(item), message: "\(name) takes \(entry.parameters.count == 0 ? "no parameters" : "at most \(entry.parameters.count) parameter\(entry.parameters.count == 1 ? "" : "s") (\(entry.parameters.map(\.0).joined(separator: ":")))")")
            }
            var values: [Double] = []
            for (k, p) in entry.parameters.enumerated() {
                if k < given.count {
                    let raw = given[given.startIndex + k]
                    guard let v = Double(raw), v.isFinite, p.2.contains(v), p.0 == "k" || v == v.rounded() else {
                        throw IndicatorSpecError(item: String(item), message: "\(name) \(p.0) must be \(p.0 == "k" ? "a number" : "a whole number") from \(Format.number(p.2.lowerBound)) to \(Format.number(p.2.upperBound))")
                    }
                    values.append(v)
                } else {
                    values.append(p.1)
                }
            }
            if name == "macd", values[0] >= values[1] {
                throw IndicatorSpecError(item: String(item), message: "macd fast must be below slow")
            }
            let spec = IndicatorSpec(name: name, parameters: values)
            for c in spec.columns where !columns.insert(c).inserted {
                throw IndicatorSpecError(item: String(item), message: "column \(c) is asked for twice")
            }
            out.append(spec)
        }
        return out
    }

    private var p0: Int { Int(parameters[0]) }

    /// The output column names, in order.
    public var columns: [String] {
        switch name {
        case "macd": ["macd", "macd_signal", "macd_hist"]
        case "bbands": ["bb_upper", "bb_middle", "bb_lower"]
        case "stoch": ["stoch_k", "stoch_d"]
        case "obv": ["obv"]
        case "vwap": ["vwap"]
        case "adx": ["adx_\(p0)", "plus_di_\(p0)", "minus_di_\(p0)"]
        case "donchian": ["dc_upper_\(p0)", "dc_middle_\(p0)", "dc_lower_\(p0)"]
        default: ["\(name)_\(p0)"]
        }
    }

    /// Whether the indicator needs session boundaries (intraday only).
    public var needsSessions: Bool { name == "vwap" }

    /// The output lines over the whole series (NaN during warm-up), one per column.
    /// - Parameter sessionStart: for VWAP, where each session begins.
    public func compute(_ s: PriceSeries, sessionStart: [Bool]? = nil) -> [[Double]] {
        let p = parameters.map { Int($0) }
        switch name {
        case "sma": return [TA.sma(s.close, period: p[0])]
        case "ema": return [TA.ema(s.close, period: p[0])]
        case "wma": return [TA.wma(s.close, period: p[0])]
        case "rsi": return [TA.rsi(s.close, period: p[0])]
        case "macd":
            let m = TA.macd(s.close, fast: p[0], slow: p[1], signal: p[2])
            return [m.macd, m.signal, m.histogram]
        case "bbands":
            let b = TA.bbands(s.close, period: p[0], k: parameters[1])
            return [b.upper, b.middle, b.lower]
        case "atr": return [TA.atr(high: s.high, low: s.low, close: s.close, period: p[0])]
        case "natr": return [TA.natr(high: s.high, low: s.low, close: s.close, period: p[0])]
        case "stoch":
            let st = TA.stoch(high: s.high, low: s.low, close: s.close, fastK: p[0], slowK: p[1], slowD: p[2])
            return [st.k, st.d]
        case "willr": return [TA.willr(high: s.high, low: s.low, close: s.close, period: p[0])]
        case "cci": return [TA.cci(high: s.high, low: s.low, close: s.close, period: p[0])]
        case "mfi": return [TA.mfi(high: s.high, low: s.low, close: s.close, volume: s.volume, period: p[0])]
        case "obv": return [TA.obv(close: s.close, volume: s.volume)]
        case "adx":
            let a = TA.adx(high: s.high, low: s.low, close: s.close, period: p[0])
            return [a.adx, a.plusDI, a.minusDI]
        case "roc": return [TA.roc(s.close, period: p[0])]
        case "donchian":
            let d = TA.donchian(high: s.high, low: s.low, period: p[0])
            return [d.upper, d.middle, d.lower]
        case "vwap":
            return [TA.vwap(high: s.high, low: s.low, close: s.close, volume: s.volume,
                            sessionStart: sessionStart ?? [Bool](repeating: false, count: s.count).enumerated().map { $0.offset == 0 })]
        default: return columns.map { _ in [Double](repeating: .nan, count: s.count) }
        }
    }
}

/// An indicator list that cannot be served.
public struct IndicatorSpecError: Error, CustomStringConvertible {
    public var item: String
    public var message: String
    public var description: String { message }
}
