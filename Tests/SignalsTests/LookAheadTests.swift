import Market
import Testing
@testable import Signals

/// No look-ahead: generating over a history cut at bar T gives exactly the signals that the full
/// history gives for bars ≤ T — same identity, values, layers and confidence.
@Suite struct LookAheadTests {
    static let files: [(file: String, asset: AssetClass)] = [
        ("bluefin_AAPL.csv", .equity), ("bluefin_PG.csv", .equity), ("bt_orcl-1995-2014.txt", .equity),
        ("pta_SPY_D.csv", .etf), ("bestdaybtc_BTC-USD.csv", .crypto),
    ]

    @Test(arguments: files)
    func truncatedHistoryGivesTheSameSignals(file: String, asset: AssetClass) throws {
        let full = try SignalData.series(file)
        let info = SignalData.info(file, .d1, asset)
        let engine = SignalEngine()
        let all = engine.run(full, info: info)
        #expect(all.count > 50, "the full history of \(file) should yield signals")
        // Cut points spread over the history, including ones just after warm-up and near the end.
        let n = full.count
        for cut in [300, n / 4, n / 2 + 7, (3 * n) / 4, n - 2] {
            let truncated = engine.run(full.prefix(cut), info: info)
            let expected = all.filter { $0.index < cut }.map(SignalFingerprint.init)
            let got = truncated.map(SignalFingerprint.init)
            #expect(got == expected, "\(file) cut at \(cut) of \(n): \(got.count) signals vs \(expected.count) from the full history")
        }
    }

    @Test func incrementalRunEqualsTheTailOfAFullRun() throws {
        let full = try SignalData.series("bluefin_MSFT.csv")
        let info = SignalData.info("MSFT")
        let engine = SignalEngine()
        let all = engine.run(full, info: info)
        let start = full.count - 500
        let tail = engine.run(full, info: info, from: start)
        #expect(tail.map(SignalFingerprint.init) == all.filter { $0.index >= start }.map(SignalFingerprint.init))
        #expect(!tail.isEmpty)
    }

    @Test func intradayWithMarketHours() throws {
        let full = try SignalData.series("mplf_SP500_NOV2019_IDay.csv", .m1, .newYork)
        let info = SignalData.info("SPX", .m1, .index)
        let engine = SignalEngine()
        let all = engine.run(full, info: info)
        let cut = full.count / 2
        #expect(engine.run(full.prefix(cut), info: info).map(SignalFingerprint.init)
                == all.filter { $0.index < cut }.map(SignalFingerprint.init))
    }
}
