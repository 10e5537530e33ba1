import Market

/// What a signal did, scored from the bars after it.
public enum OutcomeResult: String, Sendable, CaseIterable, Codable {
    /// The target was reached first.
    case win
    /// The stop was reached first (or both in one bar: the conservative rule).
    case loss
    /// Neither by the end of the horizon; the return is the close of the last horizon bar.
    case expired
    /// Still inside its horizon (provisional: scored on the bars stored so far).
    case open
}

/// A signal's automatic outcome. Returns are fractions of the entry price in the signal's direction.
public struct Outcome: Sendable, Hashable {
    public var result: OutcomeResult
    /// `true` while the horizon has not been covered by stored bars; such an outcome may still change.
    public var provisional: Bool { result == .open }
    /// Where the position was (or would be, marked at the last close) closed.
    public var exitPrice: Double
    /// Bars after the signal bar that were looked at (1 = the next bar).
    public var barsHeld: Int
    /// Return before and after costs (`OutcomeRules.roundTripCost`).
    public var grossReturn: Double
    public var netReturn: Double
    /// Maximum favourable and adverse excursion over the bars held (both ≥ 0, fractions of entry).
    public var mfe: Double
    public var mae: Double
    /// Return in multiples of the initial risk (entry to stop); nil without a stop.
    public var rMultiple: Double?
    /// Stop and target both inside one bar: scored as a loss (stop first) and flagged.
    public var sameBarAmbiguous: Bool
    /// The bar opened beyond the stop (or target) and the fill is at that open.
    public var gapFill: Bool
    /// Bar time (Unix seconds) of the bar that decided it; nil while provisional.
    public var finalizedAt: Int64?

    /// The one hit rule (see `OutcomeRules.isHit`).
    public var hit: Bool { OutcomeRules.isHit(result: result, netReturn: netReturn) }
}

/// The scoring rules. One place, used by the service, the reports and the tests.
public enum OutcomeRules {
    /// Costs of a round trip (commission and slippage), as a fraction of entry: 10 basis points.
    public static let roundTripCost = 0.001

    /// **The hit rule.** A win is a hit and a loss is not; an expired signal is a hit when its return
    /// after costs is above zero (`netReturn > 0`); an open (provisional) signal is never counted.
    public static func isHit(result: OutcomeResult, netReturn: Double) -> Bool {
        switch result {
        case .win: true
        case .loss: false
        case .expired: netReturn > 0
        case .open: false
        }
    }

    /// Scores a signal from the bars after it (`after[0]` is the bar following the signal bar).
    ///
    /// Bar by bar up to `horizon` bars: a bar that opens through the stop fills at the open (a loss
    /// worse than the stop); one that opens through the target fills at the open (a win); otherwise a
    /// low (long) / high (short) reaching the stop is a loss at the stop and a high / low reaching the
    /// target a win at the target; both inside one bar is a loss at the stop (`sameBarAmbiguous`).
    /// With neither after `horizon` bars the signal expired at that bar's close. Fewer than `horizon`
    /// bars and no exit: `open`, marked at the last close (or the entry with no bar yet).
    public static func score(direction: Direction, entry: Double, stop: Double?, target: Double?, horizon: Int,
                             after: ArraySlice<Bar>) -> Outcome {
        let sign = direction.sign
        var mfe = 0.0, mae = 0.0
        func ret(_ price: Double) -> Double { entry > 0 ? sign * (price - entry) / entry : 0 }
        func make(_ result: OutcomeResult, _ exit: Double, _ held: Int, ambiguous: Bool = false, gap: Bool = false,
                  at: Int64?) -> Outcome {
            let g = ret(exit)
            let risk = stop.map { abs(entry - $0) }
            return Outcome(result: result, exitPrice: exit, barsHeld: held, grossReturn: g,
                           netReturn: result == .open ? g : g - roundTripCost, mfe: mfe, mae: mae,
                           rMultiple: risk.flatMap { $0 > 0 ? sign * (exit - entry) / $0 : nil },
                           sameBarAmbiguous: ambiguous, gapFill: gap, finalizedAt: at)
        }
        var held = 0
        for bar in after.prefix(max(0, horizon)) {
            held += 1
            let exit = barExit(direction: direction, stop: stop, target: target, bar: bar)
            if let exit, exit.atOpen {
                mfe = max(mfe, ret(bar.open)); mae = max(mae, -ret(bar.open))
            } else {
                mfe = max(mfe, ret(direction == .long ? bar.high : bar.low))
                mae = max(mae, -ret(direction == .long ? bar.low : bar.high))
            }
            if let exit {
                return make(exit.stopped ? .loss : .win, exit.price, held, ambiguous: exit.sameBarAmbiguous,
                            gap: exit.atOpen && exit.price != (exit.stopped ? stop : target), at: bar.timestamp)
            }
            if held == horizon { return make(.expired, bar.close, held, at: bar.timestamp) }
        }
        if horizon <= 0 { return make(.expired, entry, 0, at: nil) }
        return make(.open, after.prefix(horizon).last?.close ?? entry, held, at: nil)
    }

    /// How a stop or target closes a position within one bar.
    public struct BarExit: Sendable, Hashable {
        /// `true`: the stop (a loss); `false`: the target.
        public var stopped: Bool
        /// The fill: the stop or target, or the bar's open when it opened beyond it.
        public var price: Double
        /// The bar opened at or through the level, so the fill is at the open.
        public var atOpen: Bool
        /// Stop and target both inside the bar: the stop is taken (the conservative rule).
        public var sameBarAmbiguous: Bool
    }

    /// **The stop and target rule for one bar**, shared by outcome scoring and the backtester: a bar
    /// that opens at or through the stop exits at the open (a loss); one that opens at or through the
    /// target exits at the open (a win); otherwise a low (long) / high (short) reaching the stop exits at
    /// the stop, a high / low reaching the target at the target, and both inside one bar at the stop.
    /// Nil when the bar touches neither.
    public static func barExit(direction: Direction, stop: Double?, target: Double?, bar: Bar) -> BarExit? {
        let sign = direction.sign
        if let stop, sign * (bar.open - stop) <= 0 {
            return BarExit(stopped: true, price: bar.open, atOpen: true, sameBarAmbiguous: false)
        }
        if let target, sign * (bar.open - target) >= 0 {
            return BarExit(stopped: false, price: bar.open, atOpen: true, sameBarAmbiguous: false)
        }
        let favourable = direction == .long ? bar.high : bar.low
        let adverse = direction == .long ? bar.low : bar.high
        let stopHit = stop.map { sign * (adverse - $0) <= 0 } ?? false
        let targetHit = target.map { sign * (favourable - $0) >= 0 } ?? false
        if stopHit, let stop { return BarExit(stopped: true, price: stop, atOpen: false, sameBarAmbiguous: targetHit) }
        if targetHit, let target { return BarExit(stopped: false, price: target, atOpen: false, sameBarAmbiguous: false) }
        return nil
    }
}
