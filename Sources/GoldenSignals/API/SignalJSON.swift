import HTTPServer
import Postgres
import Signals

/// Renders a signal row selected with `SignalStore.columns` as the API's signal object.
enum SignalJSON {
    static func write(_ row: PostgresRow, into w: inout JSONWriter, extra: ((inout JSONWriter) throws -> Void)? = nil) throws {
        func opt(_ i: Int) throws -> Double? { row.isNull(i) ? nil : try row.decode(i, as: Double.self) }
        func num(_ v: Double?) { if let v { w.number(v) } else { w.null() } }
        let price: Double = try row.decode(9)
        let reason: String = try row.decode(20)
        let direction: String = try row.decode(5)
        w.beginObject()
        w.key("id"); w.string(try row.decode(0))
        w.key("symbol"); w.string(try row.decode(1))
        w.key("timeframe"); w.string(try row.decode(2))
        w.key("strategy"); w.string(try row.decode(3))
        w.key("parameters"); w.string(try row.decode(4))
        w.key("direction"); w.string(direction)
        w.key("action"); w.string(direction == "long" ? "BUY" : "SELL")
        w.key("status"); w.string(try row.decode(6))
        w.key("rejected_by"); if row.isNull(27) { w.null() } else { w.string(try row.decode(27)) }
        w.key("timestamp"); w.string(RFC3339.format(try row.decode(7)))
        w.key("created_at"); w.string(RFC3339.format(try row.decode(8)))
        w.key("price"); w.number(price)
        w.key("entry_price"); w.number(price)
        w.key("stop_loss"); num(try opt(10))
        w.key("take_profit"); num(try opt(11))
        w.key("reward_risk"); num(try opt(25))
        w.key("risk_level"); if row.isNull(12) { w.null() } else { w.string(try row.decode(12)) }
        w.key("horizon_bars"); w.number(try row.decode(13, as: Int64.self))
        w.key("expires_at"); w.string(RFC3339.format(try row.decode(14)))
        w.key("confidence"); w.number(try row.decode(15, as: Double.self))
        w.key("confidence_breakdown"); w.beginObject()
        w.key("raw"); w.number(try row.decode(16, as: Double.self))
        w.key("quality"); w.number(try row.decode(17, as: Double.self))
        w.key("calibrated"); w.number(try row.decode(15, as: Double.self))
        w.key("calibration_version"); w.number(try row.decode(19, as: Int64.self))
        w.endObject()
        w.key("strength"); w.number(try row.decode(26, as: Double.self))
        w.key("consensus_strength"); w.number(try row.decode(23, as: Double.self))
        w.key("position_size"); w.number(try row.decode(24, as: Double.self))
        w.key("reason"); w.string(reason)
        w.key("reasoning"); w.string(reason)
        w.key("indicators"); w.raw(Array((try row.decode(21, as: String.self)).utf8))
        w.key("layers"); try writeLayers(details: row.decode(22), effects: row.decode(30), passed: row.decode(45, as: Int64.self), into: &w)
        w.key("bar"); w.beginObject()
        w.key(Keys.timestamp); w.string(RFC3339.format(try row.decode(7)))
        w.key(Keys.open); w.number(try row.decode(46, as: Double.self))
        w.key(Keys.high); w.number(try row.decode(47, as: Double.self))
        w.key(Keys.low); w.number(try row.decode(48, as: Double.self))
        w.key(Keys.close); w.number(try row.decode(49, as: Double.self))
        w.key(Keys.volume); w.number(try row.decode(50, as: Double.self))
        w.endObject()
        w.key("outcome"); try writeOutcome(row, into: &w)
        if try row.decode(28, as: Bool.self) { w.key("demo"); w.bool(true) }
        try extra?(&w)
        w.endObject()
    }

    /// The layers' trace as the API shows it, `[{layer, passed, effect, detail}]`, from the row's values
    /// (migration 0018): one sentence per line of `details`, the effects as PostgreSQL's text of the
    /// `float8[]`, bit k of `passed` for layer k. Layer k is the k-th of the engine's order.
    static func writeLayers(details: String, effects: String, passed: Int64, into w: inout JSONWriter) throws {
        var effectValues = effects.utf8.dropFirst().dropLast().split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            .makeIterator()
        w.beginArray()
        if !details.isEmpty {
            for (k, detail) in details.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                guard k < Layer.allCases.count, let effect = effectValues.next() else {
                    throw SignalJSONError.badLayers(details: details, effects: effects)
                }
                w.beginObject()
                w.key(Keys.layer); w.string(Layer.allCases[k].rawValue)
                w.key(Keys.passed); w.bool(passed & (1 << k) != 0)
                w.key(Keys.effect)
                if effect.elementsEqual("NULL".utf8) { w.null() }
                else if let e = Double(Substring(effect)) { w.number(e) }
                else { throw SignalJSONError.badLayers(details: details, effects: effects) }
                w.key(Keys.detail); w.string(String(detail))
                w.endObject()
            }
            guard effectValues.next() == nil else { throw SignalJSONError.badLayers(details: details, effects: effects) }
        }
        w.endArray()
    }

    private enum Keys {
        static let layer = JSONKey("layer"), passed = JSONKey("passed"), effect = JSONKey("effect"), detail = JSONKey("detail")
        static let timestamp = JSONKey("timestamp"), open = JSONKey("open"), high = JSONKey("high"), low = JSONKey("low")
        static let close = JSONKey("close"), volume = JSONKey("volume")
    }

    /// The automatic outcome (`provisional` while the horizon is not covered by stored bars) and the
    /// clients' reports; null when there is neither. Columns 31… of `SignalStore.columns`.
    static func writeOutcome(_ row: PostgresRow, into w: inout JSONWriter) throws {
        let reports: String? = row.isNull(44) ? nil : try row.decode(44)
        guard !row.isNull(31) || reports != nil else { w.null(); return }
        func opt(_ i: Int) throws -> Double? { row.isNull(i) ? nil : try row.decode(i, as: Double.self) }
        func num(_ v: Double?) { if let v { w.number(v) } else { w.null() } }
        w.beginObject()
        if row.isNull(31) {
            w.key("result"); w.null()
            w.key("provisional"); w.bool(true)
        } else {
            let final = try row.decode(32, as: Bool.self)
            w.key("result"); w.string(try row.decode(31))
            w.key("provisional"); w.bool(!final)
            w.key("hit"); if final { w.bool(try row.decode(43, as: Bool.self)) } else { w.null() }
            w.key("exit_price"); num(try opt(33))
            w.key("return"); num(try opt(35))
            w.key("return_gross"); num(try opt(34))
            w.key("mfe"); num(try opt(36))
            w.key("mae"); num(try opt(37))
            w.key("bars_held"); w.number(try row.decode(38, as: Int64.self))
            w.key("r_multiple"); num(try opt(39))
            w.key("same_bar_ambiguous"); w.bool(try row.decode(40, as: Bool.self))
            w.key("gap_fill"); w.bool(try row.decode(41, as: Bool.self))
            w.key("finalized_at"); if row.isNull(42) { w.null() } else { w.string(RFC3339.format(try row.decode(42))) }
        }
        w.key("client_reports"); if let reports { w.raw(Array(reports.utf8)) } else { w.beginArray(); w.endArray() }
        w.endObject()
    }
}

enum SignalJSONError: Error, CustomStringConvertible {
    /// A stored row's layer sentences and effects do not match (each layer has one of each).
    case badLayers(details: String, effects: String)

    var description: String {
        switch self {
        case .badLayers(let details, let effects): "a stored signal's layers do not match: \(details.debugDescription) / \(effects)"
        }
    }
}
