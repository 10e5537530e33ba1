import Market
import Testing
@testable import Signals

/// Dataset features never look ahead, labels are marked past the end, and walk-forward splits purge.
@Suite struct DatasetTests {
    static let all = DatasetRequest(features: DatasetFeature.catalog.filter { !$0.intradayOnly },
                                    labels: [.forwardReturn(horizon: 5), .tripleBarrier(horizon: 10, takeProfit: 2, stop: 1)])

    static func same(_ a: Double, _ b: Double) -> Bool { a == b || (a.isNaN && b.isNaN) }

    /// Features at every bar < T from a history cut at T equal those from the full history, bit for bit
    /// (raw and normalized); labels that fit before T are equal too, the others are marked past the end.
    @Test(arguments: LookAheadTests.files.map(\.file))
    func truncatedHistoryGivesTheSameFeatures(file: String) throws {
        let full = try SignalData.series(file)
        let info = SignalData.info(file)
        for normalize in [nil, 50] as [Int?] {
            var r = Self.all
            r.normalizeWindow = normalize
            let whole = DatasetTable(symbol: "X", series: full, info: info, request: r)
            let n = full.count
            for cut in [250, n / 3, n / 2 + 7, n - 2] {
                let part = DatasetTable(symbol: "X", series: full.prefix(cut), info: info, request: r)
                for (f, feature) in r.features.enumerated() {
                    let bad = (0..<cut).first { !Self.same(part.features[f][$0], whole.features[f][$0]) }
                    #expect(bad == nil, "\(file) \(feature.name) normalize \(normalize ?? 0) cut \(cut): differs at \(bad ?? -1)")
                }
                for i in 0..<cut {
                    if part.pastEnd[i] { continue }
                    for c in 0..<whole.labels.count where !Self.same(part.labels[c][i], whole.labels[c][i]) {
                        Issue.record("\(file) label \(c) at \(i) of cut \(cut) changed without being marked past the end")
                    }
                }
                #expect(part.pastEnd[cut - 1] && part.labels[0][cut - 1].isNaN)
            }
        }
    }

    @Test func intradayCalendarFeatures() throws {
        let s = try SignalData.series("mplf_SP500_NOV2019_IDay.csv", .m1, .newYork)
        let info = SignalData.info("SPX", .m1, .index)
        let r = DatasetRequest(features: try DatasetFeature.parse("all", intraday: true))
        let t = DatasetTable(symbol: "SPX", series: s, info: info, request: r)
        let minutes = t.features[r.features.firstIndex { $0.name == "minutes_since_open" }!]
        let dow = t.features[r.features.firstIndex { $0.name == "day_of_week" }!]
        #expect(minutes.contains(0), "a bar at the 09:30 open")
        #expect(minutes.allSatisfy { $0.isNaN || (0..<390).contains($0) })
        #expect(dow.allSatisfy { (0...4).contains($0) })
        let cut = s.count / 2
        let part = DatasetTable(symbol: "SPX", series: s.prefix(cut), info: info, request: r)
        for f in 0..<r.features.count { #expect((0..<cut).allSatisfy { Self.same(part.features[f][$0], t.features[f][$0]) }) }
    }

    /// Purging: no row in a fold's training set has a label window reaching that fold's test block.
    @Test(arguments: [(3, 10), (5, 20), (1, 1)])
    func walkForwardPurgesOverlappingLabels(folds: Int, horizon: Int) throws {
        let s = try SignalData.series("bluefin_AAPL.csv")
        let wf = WalkForward(folds: folds)
        let b = wf.boundaries(first: s.time.first!, last: s.time.last!)
        let split = wf.assign(times: s.time, boundaries: b, horizon: horizon, rows: s.count)
        let n = s.count
        for k in 1...folds {
            let testRows = (0..<n).filter { split[$0] == "test_\(k)" }
            #expect(!testRows.isEmpty)
            let testStart = s.time[testRows.first!]
            #expect(testRows.allSatisfy { s.time[$0] >= b[k - 1] && (k == folds || s.time[$0] < b[k]) })
            for i in 0..<n where WalkForward.isTraining(split[i], fold: k) {
                // The label window is bars i+1 … i+horizon; past the data it is unbounded.
                let end = i + horizon < n ? s.time[i + horizon] : Int64.max
                #expect(end < b[k - 1] && end < testStart, "fold \(k): training row \(i) has a label window up to \(end)")
                if end >= b[k - 1] { return }
            }
            // The embargo: the default 1% of rows right before the boundary (after purging) are unused.
            let firstTest = testRows.first!
            let e = wf.embargoRows(rows: n)
            #expect(((firstTest - max(e, horizon))..<firstTest).allSatisfy { !WalkForward.isTraining(split[$0], fold: k) })
        }
        #expect(split.contains("purged") && split.contains("embargoed"))
    }

    @Test func numbersAreWrittenCompactlyAndReadBack() {
        var buf = DatasetBuffer()
        let values: [Double] = [0, 1, -1, 0.5, 123.456, 1e-7, 1.23456789e-14, -3.3e-15, -0.000123456789, 98765.4321, 3.14159265358979, 2.5e13, 1_234_567_890_123, .nan, 0.1 + 0.2]
        for v in values { buf.number(v); buf.byte(0x2C) }
        let text = String(decoding: buf.bytes, as: UTF8.self)
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).dropLast()
        #expect(parts.count == values.count)
        for (p, v) in zip(parts, values) {
            if v.isNaN { #expect(p.isEmpty); continue }
            let back = Double(p)!
            #expect(abs(back - v) <= abs(v) * 1e-9, "\(v) written as \(p)")
            #expect(!p.contains("e"))
        }
        #expect(parts[4] == "123.456" && parts[0] == "0" && parts[14] == "0.3")
        // Random magnitudes from 1e-15 to 1e15 read back within the 10th significant digit.
        var rng = SystemRandomNumberGenerator()
        var many = DatasetBuffer()
        var drawn: [Double] = []
        for _ in 0..<20_000 {
            let v = Double.random(in: 1...10, using: &rng) * pow10(Int.random(in: -15...14, using: &rng)) * (Bool.random() ? 1 : -1)
            drawn.append(v); many.number(v); many.byte(0x2C)
        }
        for (p, v) in zip(String(decoding: many.bytes, as: UTF8.self).split(separator: ","), drawn) {
            let back = Double(p) ?? .nan
            if !(abs(back - v) <= abs(v) * 6e-10) || p.contains("e") { Issue.record("\(v) written as \(p)"); break }
        }
        var t = DatasetBuffer()
        t.timestamp(1_704_067_200 + 3661)
        #expect(String(decoding: t.bytes, as: UTF8.self) == "2024-01-01T01:01:01Z")
    }

    func pow10(_ k: Int) -> Double { var x = 1.0; for _ in 0..<abs(k) { x *= 10 }; return k < 0 ? 1 / x : x }

    @Test func specsParseAndRefuse() throws {
        #expect(try DatasetLabel.parse("forward_return:5,triple_barrier:10:2:1").flatMap(\.columns)
                == ["label_fwd_ret_5", "label_tb_10_2_1", "label_tb_10_2_1_bars"])
        #expect(try DatasetLabel.parse("signal_outcome,signal_outcome:macd_cross").flatMap(\.columns)
                == ["label_signal_outcome", "label_signal_return", "label_signal_outcome_macd_cross", "label_signal_return_macd_cross"])
        #expect(try DatasetLabel.parse("signal_outcome:sma_crossover").first?.horizon == 20)
        #expect(throws: DatasetSpecError.self) { try DatasetLabel.parse("signal_outcome:nope") }
        #expect(throws: DatasetSpecError.self) { try DatasetLabel.parse("signal_outcome:sma_crossover:2") }
        #expect(throws: DatasetSpecError.self) { try DatasetFeature.parse("minutes_since_open", intraday: false) }
        #expect(try DatasetRequest.parseNormalize("rolling:20") == 20)
        #expect(try WalkForward.parse("walk_forward:4").folds == 4)
        #expect(DatasetFeature.catalog.count >= 24)
    }
}
