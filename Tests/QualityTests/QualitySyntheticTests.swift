import Market
import Quality
import Testing

private let oneDay: Int64 = 86_400

private func flip(_ b: inout Bar) { let h = b.high; b.high = b.low; b.low = h }

@Suite struct QualitySyntheticTests {

    /// NYSE sessions from 2021-01-04 on, with a gently oscillating price.
    func series(_ count: Int, start: CivilDate = CivilDate(year: 2021, month: 1, day: 4)) -> [Bar] {
        let nyse = NYSECalendar()
        var out: [Bar] = []
        var d = start
        var price = 100.0
        var k = 0
        while out.count < count {
            if nyse.session(on: d) != nil {
                let move = [0.004, -0.003, 0.006, -0.005, 0.002, -0.001, 0.003][k % 7] * (1 + Double(k % 5) / 10)
                let open = price
                price *= 1 + move
                out.append(Bar(timestamp: d.unixSeconds, open: open, high: max(open, price) * 1.002,
                               low: min(open, price) * 0.998, close: price, volume: 1_000_000 + Double(k % 13) * 10_000))
                k += 1
            }
            d = d.adding(days: 1)
        }
        return out
    }

    func report(_ bars: [Bar], _ tf: Timeframe = .d1, asset: AssetClass = .equity,
                calendar: any TradingCalendar = NYSECalendar(), now: Int64? = nil) -> QualityReport {
        QualityChecker.report(QualityInput(bars: bars, timeframe: tf, assetClass: asset, calendar: calendar,
                                           now: now ?? (bars.last!.timestamp + oneDay), maxIssues: 100_000))
    }

    @Test func cleanSeriesScoresOne() {
        let r = report(series(500))
        #expect(r.score == 1)
        #expect(r.issuesTotal == 0)
        #expect(r.checks.allSatisfy { $0.status == .pass })
        #expect(Set(r.checks.map(\.name)) == Set(QualityChecker.weights.keys))
    }

    @Test func oneBadDayBarelyMovesTheScoreTenPercentFails() {
        var bars = series(10_000)
        flip(&bars[5_000])
        let one = report(bars)
        #expect(one.count("high_below_low") == 1)
        #expect(one.score > 0.999)
        var bad = series(1_000)
        for i in stride(from: 0, to: 1_000, by: 10) { flip(&bad[i]) }
        let many = report(bad)
        #expect(many.count("high_below_low") == 100)
        #expect(many.score <= 0.5)
        #expect(many.checks.first { $0.name == "high_below_low" }?.status == .fail)
    }

    @Test func duplicatesAndOrder() {
        var bars = series(50)
        bars.insert(bars[10], at: 11)
        bars[11].volume += 43
        let r = report(bars)
        #expect(r.count("duplicate_timestamp") == 1)
        #expect(r.issues("duplicate_timestamp").first?.message.contains("(volumes 1100000 and 1100043)") == true)
        var shuffled = series(50)
        shuffled.swapAt(20, 30)
        let o = report(shuffled)
        #expect(o.count("out_of_order") >= 1)
        #expect(o.count("missing_session") == 0)
    }

    @Test func pricesAndVolume() {
        var bars = series(100)
        bars[3].close = 0
        bars[4].volume = -5
        bars[5].volume = 0
        bars[6].close = bars[6].high * 1.01
        bars[7].open = bars[7].low * 0.99
        let r = report(bars)
        #expect(r.count("non_positive_price") == 1)
        #expect(r.count("negative_volume") == 1)
        #expect(r.count("zero_volume") == 1)
        #expect(r.count("close_outside_range") == 1)
        #expect(r.count("open_outside_range") == 1)
        #expect(r.issues("non_positive_price").first?.message.hasPrefix("Close 0 on") == true)
        // Zero volume is not an issue for an index series.
        #expect(report(bars, asset: .index).count("zero_volume") == 0)
    }

    @Test func barsOnClosedDaysAndMisalignedOrFutureStamps() {
        var bars = series(300, start: CivilDate(year: 2024, month: 10, day: 1))
        let christmas = CivilDate(year: 2024, month: 12, day: 25).unixSeconds
        bars.append(Bar(timestamp: christmas, open: 1, high: 1, low: 1, close: 1, volume: 1))
        bars.append(Bar(timestamp: christmas + 2 * oneDay + 3_600, open: 1, high: 1, low: 1, close: 1, volume: 1))
        bars.sort { $0.timestamp < $1.timestamp }
        let r = report(bars, now: CivilDate(year: 2024, month: 12, day: 1).unixSeconds)
        #expect(r.issues("outside_session").contains { $0.message.contains("(Christmas Day)") })
        #expect(r.count("misaligned_timestamp") == 1)
        #expect(r.count("future_timestamp") > 0)
    }

    @Test func splitsAreCorporateActionsNotErrors() {
        var bars = series(300)
        for i in 150..<300 {            // 2-for-1 split: prices halve, volume doubles
            bars[i].open /= 2; bars[i].high /= 2; bars[i].low /= 2; bars[i].close /= 2; bars[i].volume *= 2
        }
        for i in 250..<300 {            // 1-for-10 reverse split: prices ×10, volume ÷10
            bars[i].open *= 10; bars[i].high *= 10; bars[i].low *= 10; bars[i].close *= 10; bars[i].volume /= 10
        }
        let r = report(bars)
        #expect(r.count("corporate_action") == 2)
        #expect(r.count("outlier_return") == 0)
        let msgs = r.issues("corporate_action").map(\.message)
        #expect(msgs[0].contains("2-for-1 split") && msgs[1].contains("1-for-10 reverse split"))
        #expect(r.score == 1)
    }

    @Test func outliersUseTheSeriesOwnSpread() {
        var bars = series(300)
        bars[100].close *= 1.3       // a bad print, back to normal on the next bar
        bars[100].high = bars[100].close
        let r = report(bars)
        #expect(r.issues("outlier_return").map(\.timestamp).contains(bars[100].timestamp))
        #expect(r.issues("outlier_return").first?.message.contains("largely reverses") == true)
        // The same +30% in a series that moves ±20% a day is not an outlier.
        var wild = series(300)
        var seed: UInt64 = 42
        var price = 100.0
        for i in wild.indices {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let u = Double(seed >> 11) / Double(1 << 53) * 0.4 - 0.2       // uniform ±20%
            let open = price
            price *= i == 100 ? 1.3 : 1 + u
            wild[i] = Bar(timestamp: wild[i].timestamp, open: open, high: max(open, price), low: min(open, price),
                          close: price, volume: 1_000)
        }
        #expect(report(wild).count("outlier_return") == 0)
    }

    @Test func flatRuns() {
        var bars = series(100)
        for i in 40..<46 { bars[i].open = 50; bars[i].high = 50; bars[i].low = 50; bars[i].close = 50 }
        let r = report(bars)
        #expect(r.count("flat_run") == 1)
        #expect(r.issues("flat_run").first?.message.hasPrefix("6 consecutive bars") == true)
    }

    @Test func intradayMissingMinutesAndSessionEdges() {
        // 2024-03-11 (EDT): session 13:30–20:00 UTC; 1-minute bars 13:30 … 19:59 with holes.
        let open = CivilDate(year: 2024, month: 3, day: 11).unixSeconds + 13 * 3_600 + 1_800
        var bars: [Bar] = []
        for m in 0..<390 where !(100..<103).contains(m) && m != 200 && m < 385 {
            bars.append(Bar(timestamp: open + Int64(m) * 60, open: 10, high: 10.1, low: 9.9, close: 10 + Double(m % 3) / 100, volume: 100))
        }
        bars.append(Bar(timestamp: open - 3_600, open: 10, high: 10.1, low: 9.9, close: 10, volume: 100))   // pre-market
        bars.sort { $0.timestamp < $1.timestamp }
        let r = report(bars, .m1, now: open + 86_400)
        #expect(r.count("missing_bars") == 3)       // 3-minute hole, 1-minute hole, last 5 minutes
        #expect(r.count("outside_session") == 1)
        #expect(r.issues("missing_bars").map { $0.timestamp } == [open + 100 * 60, open + 200 * 60, open + 385 * 60])
        // While the session is open, a feed 2 hours behind is stale.
        let live = report(Array(bars.prefix(200)), .m1, now: open + 330 * 60)
        #expect(live.count("stale_data") == 1)
    }

    @Test func resultsAreCodable() throws {
        let r = report(series(20))
        #expect(r.checks.count == QualityChecker.weights.count)
        #expect(QualityChecker.weights["high_below_low"] == 0.5)
        #expect(QualityChecker.weights["corporate_action"] == 0)
        #expect(report([Bar](), now: 0).barsChecked == 0)
    }
}
