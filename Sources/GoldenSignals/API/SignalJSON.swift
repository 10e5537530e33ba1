import HTTPServer
import Postgres

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
        w.key("layers"); w.raw(Array((try row.decode(22, as: String.self)).utf8))
        w.key("bar"); w.raw(Array((try row.decode(30, as: String.self)).utf8))
        w.key("outcome"); w.null()
        if try row.decode(28, as: Bool.self) { w.key("demo"); w.bool(true) }
        try extra?(&w)
        w.endObject()
    }
}
