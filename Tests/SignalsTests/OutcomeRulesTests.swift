import Market
import Signals
import Testing

/// The scoring rules on hand-made bar paths.
struct OutcomeRulesTests {
    static func bar(_ k: Int, _ o: Double, _ h: Double, _ l: Double, _ c: Double) -> Bar {
        Bar(timestamp: 1_600_000_000 + Int64(k) * 86_400, open: o, high: h, low: l, close: c, volume: 1_000)
    }

    // A long at 100, stop 96, target 106, horizon 5.
    static func long(_ after: [Bar], horizon: Int = 5) -> Outcome {
        OutcomeRules.score(direction: .long, entry: 100, stop: 96, target: 106, horizon: horizon, after: after[...])
    }

    @Test func targetFirstIsAWinAtTheTarget() {
        let o = Self.long([Self.bar(1, 100, 102, 99, 101), Self.bar(2, 101, 107, 100, 106.5)])
        #expect(o.result == .win && !o.provisional && o.hit)
        #expect(o.exitPrice == 106 && o.barsHeld == 2 && !o.gapFill && !o.sameBarAmbiguous)
        #expect(abs(o.grossReturn - 0.06) < 1e-12 && abs(o.netReturn - (0.06 - OutcomeRules.roundTripCost)) < 1e-12)
        #expect(abs((o.rMultiple ?? 0) - 1.5) < 1e-12)
        #expect(abs(o.mfe - 0.07) < 1e-12 && abs(o.mae - 0.01) < 1e-12)
        #expect(o.finalizedAt == Self.bar(2, 0, 0, 0, 0).timestamp)
    }

    @Test func stopFirstIsALossAtTheStop() {
        let o = Self.long([Self.bar(1, 100, 101, 95, 97)])
        #expect(o.result == .loss && !o.hit && o.exitPrice == 96 && o.rMultiple == -1)
    }

    @Test func aGapThroughTheStopFillsAtTheOpen() {
        let o = Self.long([Self.bar(1, 100, 101, 99, 100), Self.bar(2, 92, 93, 90, 91)])
        #expect(o.result == .loss && o.gapFill && o.exitPrice == 92 && o.barsHeld == 2)
        #expect(abs((o.rMultiple ?? 0) - (-2)) < 1e-12)   // worse than the stop
        // A short: gap up through its stop.
        let s = OutcomeRules.score(direction: .short, entry: 100, stop: 104, target: 94, horizon: 5, after: [Self.bar(1, 108, 110, 107, 109)][...])
        #expect(s.result == .loss && s.gapFill && s.exitPrice == 108 && abs(s.grossReturn + 0.08) < 1e-12)
    }

    @Test func stopAndTargetInOneBarIsALossAndSaysSo() {
        let o = Self.long([Self.bar(1, 100, 107, 95, 103)])
        #expect(o.result == .loss && o.sameBarAmbiguous && o.exitPrice == 96 && !o.hit)
    }

    @Test func neitherByTheHorizonExpiresAtTheLastClose() {
        let path = (1...6).map { Self.bar($0, 100, 101, 99, 100 + Double($0) * 0.1) }
        let o = Self.long(path)
        #expect(o.result == .expired && o.barsHeld == 5 && o.exitPrice == 100.5 && o.finalizedAt == path[4].timestamp)
        // +0.5 % before costs: a hit (the one rule: return after costs > 0).
        #expect(o.hit == (0.005 - OutcomeRules.roundTripCost > 0))
        let flat = Self.long((1...5).map { Self.bar($0, 100, 101, 99, 100.05) })
        #expect(flat.result == .expired && !flat.hit)   // +0.05 % does not cover 0.1 % costs
    }

    @Test func aSignalOnTheLastStoredBarIsProvisional() {
        let none = Self.long([])
        #expect(none.result == .open && none.provisional && none.barsHeld == 0 && none.exitPrice == 100 && none.finalizedAt == nil)
        #expect(!none.hit)
        let some = Self.long([Self.bar(1, 100, 102, 99, 101)])
        #expect(some.provisional && some.barsHeld == 1 && some.exitPrice == 101)
    }

    @Test func withoutStopAndTargetOnlyTheHorizonDecides() {
        let o = OutcomeRules.score(direction: .short, entry: 100, stop: nil, target: nil, horizon: 2,
                                   after: [Self.bar(1, 100, 150, 50, 99), Self.bar(2, 99, 99, 90, 95)][...])
        #expect(o.result == .expired && o.exitPrice == 95 && o.rMultiple == nil && o.hit)
    }
}
