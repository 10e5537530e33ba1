import Signals

/// **The execution rules**, in one place (`docs/BACKTESTS.md` states them with their formulas).
///
/// 1. A signal known at bar t's close is acted on at bar t+1's open (`FillTiming.nextOpen`), or at bar
///    t's close when asked (`signalClose`, labelled in every result). Never earlier.
/// 2. Stops and targets follow `OutcomeRules.barExit` (the outcome rules): checked on every bar after the
///    signal bar; a bar opening through the stop fills at its open; stop and target in one bar → the stop.
///    A horizon ends at the close of the `horizonBars`-th bar after the signal bar; an opposite signal of
///    the same strategy closes at the next fill point; the last bar of the period closes everything at its close.
/// 3. Every fill pays half the spread and the slippage against the trader:
///    buy at `base × (1 + spread/2 + slip)`, sell at `base × (1 − spread/2 − slip)`.
/// 4. At most `maxParticipation` × the bar's volume per order and bar; the rest continues at the next
///    bars' opens or is cancelled (entries; the rest of an exit always continues). Bars with zero volume
///    carry no volume information: no limit and no volume-share impact applies to them.
/// 5. Commission `max(min, bps × notional + per-share × quantity)` on every fill.
/// 6. Entries never take cash below `−(leverage − 1) × equity`; the quantity is cut to what is affordable,
///    and an order that affords nothing is skipped.
/// 7. A fill at a price that is not positive (a defective bar) does not happen: an entry is skipped
///    (`unfillable`), an exit waits for the next bar.
enum Execution {
    /// Half the spread plus the slippage, as a fraction of the base price, for `quantity` on a bar of `volume`.
    @inline(__always)
    static func impact(quantity: Double, volume: Double, costs: Costs, slippage: SlippageModel) -> (spread: Double, slippage: Double) {
        let half = costs.spreadBps * 0.5e-4
        switch slippage {
        case .fixedBps(let b):
            return (half, b * 1e-4)
        case .volumeShare(let impact, let limit):
            guard volume > 0 else { return (half, 0) }
            let share = min(quantity / volume, limit)
            return (half, share * share * impact)
        }
    }

    /// The most that may be filled on a bar of `volume` (nil: no limit).
    @inline(__always)
    static func participationCap(volume: Double, maxParticipation: Double?, fractional: Bool) -> Double? {
        guard let m = maxParticipation, volume > 0 else { return nil }
        let cap = m * volume
        return fractional ? cap : cap.rounded(.down)
    }

    /// Rounds a quantity down to what may be traded.
    @inline(__always)
    static func tradable(_ q: Double, fractional: Bool) -> Double {
        guard q.isFinite, q > 0 else { return 0 }
        return fractional ? q : q.rounded(.down)
    }
}
