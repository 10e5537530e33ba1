import Backtest
import Foundation
import HTTPServer
import Market
import Signals

/// A backtest as requested: what to trade and how (`POST /api/v1/backtests`, `goldensignals backtest`).
/// Stored as `json()` (every default filled in), which parses back to the same request.
public struct BacktestRequest: Sendable {
    public var symbols: [String] = []
    public var timeframe: Timeframe = .d1
    public var from: Int64?
    public var to: Int64?
    public var configuration = BacktestConfiguration()

    public init() {}

    static let fields: Set<String> = ["symbols", "timeframe", "from", "to", "strategies", "min_confidence", "signals",
                                      "initial_capital", "sizing", "costs", "slippage", "max_participation", "remainder",
                                      "fill", "scenarios", "allow_short", "leverage", "max_positions", "allow_pyramiding",
                                      "use_stops", "use_horizon", "exit_on_opposite", "fractional"]

    /// Reads a request body; every bad field is named (`sizing.fraction`, `costs.spread_bps`, …).
    public static func parse(_ body: [String: Any]) -> (BacktestRequest, [FieldError]) {
        var r = BacktestRequest()
        var errors: [FieldError] = []
        func bad(_ field: String, _ message: String) { errors.append(FieldError(field: field, message: message)) }
        func number(_ v: Any?, _ field: String, set: (Double) -> Void) {
            guard let v, !(v is NSNull) else { return }
            if let x = JSONBody.number(v), x.isFinite { set(x) } else { bad(field, "must be a number") }
        }
        func flag(_ key: String, set: (Bool) -> Void) {
            guard let v = body[key] else { return }
            if let b = v as? Bool, JSONBody.number(v) == nil { set(b) } else { bad(key, "must be true or false") }
        }
        func object(_ key: String) -> [String: Any]? {
            guard let v = body[key], !(v is NSNull) else { return nil }
            guard let o = v as? [String: Any] else { bad(key, "must be an object"); return nil }
            return o
        }
        for key in body.keys.sorted() where !fields.contains(key) { bad(key, "is not a known field") }

        if let list = body["symbols"] as? [String], !list.isEmpty, list.count <= 100 {
            var seen = Set<String>()   // a symbol named twice (in any case) counts once
            r.symbols = list.map { $0.uppercased() }.filter { seen.insert($0).inserted }
            if let wrong = r.symbols.first(where: { !NewSymbol.isValidTicker($0) }) { bad("symbols", "'\(wrong.prefix(40))' is not a ticker") }
        } else { bad("symbols", "must be a list of 1 to 100 symbols") }
        if let v = body["timeframe"] {
            if let s = v as? String, let tf = Timeframe(rawValue: s) { r.timeframe = tf } else { bad("timeframe", "must be one of \(Timeframe.allNames)") }
        } else { bad("timeframe", "is required") }
        for key in ["from", "to"] {
            guard let v = body[key], !(v is NSNull) else { continue }
            if let s = v as? String, let t = RFC3339.parse(s) { if key == "from" { r.from = t } else { r.to = t } } else {
                bad(key, "must be a date (2024-03-01) or an RFC 3339 time")
            }
        }
        if let f = r.from, let t = r.to, f > t { bad("to", "must not be before from") }
        var c = BacktestConfiguration()
        if let v = body["strategies"] {
            if let list = v as? [String], !list.isEmpty, list.count <= 20 { c.strategies = list } else { bad("strategies", "must be a list of strategy names") }
        }
        number(body["min_confidence"], "min_confidence") { c.minConfidence = $0 }
        if let v = body["signals"] {
            if let s = v as? String, let x = SignalSelection(rawValue: s) { c.signals = x } else { bad("signals", "must be published or candidates") }
        }
        number(body["initial_capital"], "initial_capital") { c.initialCapital = $0 }
        if let s = object("sizing") {
            switch s["mode"] as? String {
            case "fixed_fraction":
                var f = 0.1
                number(s["fraction"], "sizing.fraction") { f = $0 }
                c.sizing = .fixedFraction(f)
                for k in s.keys where !["mode", "fraction"].contains(k) { bad("sizing.\(k)", "is not a setting of fixed_fraction") }
            case "kelly":
                var m = 0.25, cap = 0.1
                number(s["multiplier"], "sizing.multiplier") { m = $0 }
                number(s["max_fraction"], "sizing.max_fraction") { cap = $0 }
                c.sizing = .kelly(multiplier: m, cap: cap)
                for k in s.keys where !["mode", "multiplier", "max_fraction"].contains(k) { bad("sizing.\(k)", "is not a setting of kelly") }
            case "fixed_notional":
                var n = 0.0
                if s["notional"] == nil { bad("sizing.notional", "is required for fixed_notional") }
                number(s["notional"], "sizing.notional") { n = $0 }
                c.sizing = .fixedNotional(n == 0 ? 1 : n)
                if n == 0 && s["notional"] != nil { bad("sizing.notional", "must be a positive amount") }
                for k in s.keys where !["mode", "notional"].contains(k) { bad("sizing.\(k)", "is not a setting of fixed_notional") }
            default: bad("sizing.mode", "must be fixed_fraction, kelly or fixed_notional")
            }
        }
        if let s = object("costs") {
            number(s["commission_bps"], "costs.commission_bps") { c.costs.commissionBps = $0 }
            number(s["commission_per_share"], "costs.commission_per_share") { c.costs.commissionPerShare = $0 }
            number(s["min_commission"], "costs.min_commission") { c.costs.minCommission = $0 }
            number(s["spread_bps"], "costs.spread_bps") { c.costs.spreadBps = $0 }
            for k in s.keys where !["commission_bps", "commission_per_share", "min_commission", "spread_bps"].contains(k) {
                bad("costs.\(k)", "is not a known cost")
            }
        }
        if let s = object("slippage") {
            switch s["model"] as? String {
            case "fixed_bps":
                var b = 0.0
                number(s["bps"], "slippage.bps") { b = $0 }
                c.slippage = .fixedBps(b)
                for k in s.keys where !["model", "bps"].contains(k) { bad("slippage.\(k)", "is not a setting of fixed_bps") }
            case "volume_share":
                var p = 0.1, l = 0.025
                number(s["price_impact"], "slippage.price_impact") { p = $0 }
                number(s["volume_limit"], "slippage.volume_limit") { l = $0 }
                c.slippage = .volumeShare(priceImpact: p, volumeLimit: l)
                for k in s.keys where !["model", "price_impact", "volume_limit"].contains(k) { bad("slippage.\(k)", "is not a setting of volume_share") }
            default: bad("slippage.model", "must be fixed_bps or volume_share")
            }
        }
        if let v = body["max_participation"] {
            if v is NSNull { c.maxParticipation = nil } else { number(v, "max_participation") { c.maxParticipation = $0 } }
        }
        if let v = body["remainder"] {
            if let s = v as? String, let x = RemainderPolicy(rawValue: s) { c.remainder = x } else { bad("remainder", "must be continue or cancel") }
        }
        if let v = body["fill"] {
            if let s = v as? String, let x = FillTiming(rawValue: s) { c.fill = x } else { bad("fill", "must be next_open or signal_close") }
        }
        if let v = body["scenarios"] {
            let names = Scenario.allCases.map(\.rawValue)
            if let list = v as? [String], list.count <= names.count, let parsed = Optional(list.compactMap(Scenario.init(rawValue:))),
               parsed.count == list.count, Set(parsed).count == parsed.count {
                c.scenarios = parsed
            } else { bad("scenarios", "must be a list of distinct names from \(names.joined(separator: ", "))") }
        }
        flag("allow_short") { c.allowShort = $0 }
        number(body["leverage"], "leverage") { c.leverage = $0 }
        if let v = body["max_positions"], !(v is NSNull) {
            if let x = JSONBody.number(v), x == x.rounded(), abs(x) < 1e9 { c.maxPositions = Int(x) } else { bad("max_positions", "must be a whole number") }
        }
        flag("allow_pyramiding") { c.allowPyramiding = $0 }
        flag("use_stops") { c.useStops = $0 }
        flag("use_horizon") { c.useHorizon = $0 }
        flag("exit_on_opposite") { c.exitOnOpposite = $0 }
        flag("fractional") { c.fractional = $0 }
        let named = Set(errors.map(\.field))
        for p in c.problems() where !named.contains(p.field) { bad(p.field, p.message) }
        r.configuration = c
        return (r, errors)
    }

    /// The full configuration as JSON (every setting, defaults included).
    public func json() -> [UInt8] {
        let c = configuration
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        w.key("symbols"); w.beginArray(); for s in symbols { w.string(s) }; w.endArray()
        w.key("timeframe"); w.string(timeframe.rawValue)
        w.key("from"); if let from { w.string(RFC3339.format(from)) } else { w.null() }
        w.key("to"); if let to { w.string(RFC3339.format(to)) } else { w.null() }
        w.key("strategies"); w.beginArray(); for s in c.strategies { w.string(s) }; w.endArray()
        w.key("min_confidence"); w.number(c.minConfidence)
        w.key("signals"); w.string(c.signals.rawValue)
        w.key("initial_capital"); w.number(c.initialCapital)
        w.key("sizing"); w.beginObject()
        w.key("mode"); w.string(c.sizing.mode)
        switch c.sizing {
        case .fixedFraction(let f): w.key("fraction"); w.number(f)
        case .kelly(let m, let cap): w.key("multiplier"); w.number(m); w.key("max_fraction"); w.number(cap)
        case .fixedNotional(let n): w.key("notional"); w.number(n)
        }
        w.endObject()
        w.key("costs"); w.beginObject()
        w.key("commission_bps"); w.number(c.costs.commissionBps)
        w.key("commission_per_share"); w.number(c.costs.commissionPerShare)
        w.key("min_commission"); w.number(c.costs.minCommission)
        w.key("spread_bps"); w.number(c.costs.spreadBps)
        w.endObject()
        w.key("slippage"); w.beginObject()
        w.key("model"); w.string(c.slippage.name)
        switch c.slippage {
        case .fixedBps(let b): w.key("bps"); w.number(b)
        case .volumeShare(let p, let l): w.key("price_impact"); w.number(p); w.key("volume_limit"); w.number(l)
        }
        w.endObject()
        w.key("max_participation"); if let m = c.maxParticipation { w.number(m) } else { w.null() }
        w.key("remainder"); w.string(c.remainder.rawValue)
        w.key("fill"); w.string(c.fill.rawValue)
        w.key("scenarios"); w.beginArray(); for s in c.scenarios { w.string(s.rawValue) }; w.endArray()
        w.key("allow_short"); w.bool(c.allowShort)
        w.key("leverage"); w.number(c.leverage)
        w.key("max_positions"); if let m = c.maxPositions { w.number(m) } else { w.null() }
        w.key("allow_pyramiding"); w.bool(c.allowPyramiding)
        w.key("use_stops"); w.bool(c.useStops)
        w.key("use_horizon"); w.bool(c.useHorizon)
        w.key("exit_on_opposite"); w.bool(c.exitOnOpposite)
        w.key("fractional"); w.bool(c.fractional)
        w.endObject()
        return w.bytes
    }
}
