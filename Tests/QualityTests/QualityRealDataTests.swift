import Market
import Quality
import Testing

@Suite struct QualityRealDataTests {
    func date(_ t: Int64) -> CivilDate { CivilDate(unixSeconds: t) }

    @Test func aaplNullRowIsAMissingSession() throws {
        let r = try QualityData.report("bluefin_AAPL.csv")
        #expect(r.count("missing_session") == 1)
        #expect(r.issues("missing_session").map { date($0.timestamp) } == [CivilDate(year: 1981, month: 8, day: 10)])
        #expect(r.issues("missing_session").first?.severity == .high)
        #expect(r.count("outside_session") == 0)
    }

    @Test func pgHighBelowLowAndZeroOpens() throws {
        let r = try QualityData.report("bluefin_PG.csv")
        #expect(r.issues("high_below_low").map { date($0.timestamp).description }
                == ["1965-03-17", "1967-09-27", "1968-07-19", "1969-03-19"])
        #expect(r.issues("high_below_low").allSatisfy { $0.severity == .critical })
        #expect(r.count("missing_open") == 1_987)
        let opens = r.issues("missing_open")
        #expect(date(opens.first!.timestamp).description == "1962-01-02")
        #expect(date(opens.last!.timestamp).description == "1969-12-31")
        #expect(opens.first!.message == "Open is 0 while Low is 1.421875 on 1962-01-02: the open price is missing (encoded as 0), not a real price.")
        #expect(r.count("open_outside_range") == 0)       // zero opens are reported as missing, not as out of range
        #expect(r.count("missing_session") == 0)          // 1962–2020 matches the NYSE calendar
        #expect(r.count("outside_session") == 0)
        #expect(r.checks.first { $0.name == "missing_open" }?.status == .fail)
        #expect(r.score < 0.8)
    }

    @Test func jpmZeroOpens() throws {
        let r = try QualityData.report("bluefin_JPM.csv")
        #expect(r.count("missing_open") == 959)
        #expect(date(r.issues("missing_open").last!.timestamp).description == "1983-12-29")
        #expect(r.count("missing_session") == 0)
        #expect(r.score < 0.8 && r.score > 0.5)
    }

    @Test func cappedIssuesKeepCompleteCounts() throws {
        let r = try QualityData.report("bluefin_JPM.csv", maxIssues: 10)
        #expect(r.issues.count == 10)
        #expect(r.count("missing_open") == 959)
        #expect(r.issuesTotal == r.checks.reduce(0) { $0 + $1.count })
        #expect(r.issuesTotal > 959)
        let keys = r.issues.map { ($0.severity, $0.timestamp) }
        #expect(zip(keys, keys.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func spyOpenBelowLow() throws {
        let r = try QualityData.report("mplf_yahoofinance-SPY-20080101-20180101.csv", asset: .etf)
        #expect(r.issues("open_outside_range").map { date($0.timestamp).description } == ["2015-03-05", "2015-03-30"])
        #expect(r.issues("open_outside_range").first?.message.contains("Open 209.419998 is below Low 209.850006") == true)
        #expect(r.count("missing_session") == 0)
    }

    @Test(arguments: [("bluefin_MSFT.csv", AssetClass.equity), ("bluefin_TSLA.csv", .equity), ("bluefin_QQQ.csv", .etf),
                      ("bt_orcl-1995-2014.txt", .equity), ("pta_SPY_D.csv", .etf)])
    func cleanFilesScoreHighAndNothingOnHolidays(_ file: String, _ asset: AssetClass) throws {
        let r = try QualityData.report(file, asset: asset)
        #expect(r.score >= 0.95)
        let nyse = NYSECalendar()
        for issue in r.issues {
            let d = date(issue.timestamp)
            #expect(d.weekday <= 5 && nyse.closureReason(on: d) == nil, "\(issue.message)")
        }
        for name in ["missing_session", "outside_session", "stale_data", "high_below_low", "duplicate_timestamp"] {
            #expect(r.count(name) == 0, "\(name)")
        }
    }

    @Test func btcOnTheAlwaysOpenCalendar() throws {
        let r = try QualityData.report("bestdaybtc_BTC-USD.csv", asset: .crypto, calendar: AlwaysOpenCalendar())
        #expect(r.score >= 0.95)
        #expect(r.count("missing_session") == 0 && r.count("outside_session") == 0 && r.count("stale_data") == 0)
        #expect(r.issues("outlier_return").contains { date($0.timestamp).description == "2020-03-12" })
    }

    @Test func btMinuteFileHas725GapsInsideSessions() throws {
        let cal = Calendars.calendar(for: .index, exchange: "EUREX")   // 24x5: session = first → last bar of the day
        let r = try QualityData.report("bt_2006-01-02-volume-min-001.txt", .m1, .centralEurope, asset: .index, calendar: cal)
        #expect(r.barsChecked == 30_889)
        #expect(r.count("missing_bars") == 725)
        #expect(r.count("missing_session") == 0)
        let first = try #require(r.issues("missing_bars").first)
        // 10:31 → 10:34 local (CET = UTC+1): 2 minutes missing from 09:32 UTC.
        #expect(first.message.hasPrefix("2 bars are missing (1m) from 2006-01-02 09:32 UTC up to 09:34 UTC"))
        #expect(r.count("zero_volume") == 0)
    }

    @Test func bt5MinuteIndexVolumeNotReportedOnce() throws {
        let cal = Calendars.calendar(for: .index, exchange: "EUREX")
        let r = try QualityData.report("bt_2006-min-005.txt", .m5, .centralEurope, asset: .index, calendar: cal)
        #expect(r.count("volume_not_reported") == 1)
        #expect(r.count("zero_volume") == 0)
        #expect(r.count("missing_bars") == 0)
        #expect(r.score >= 0.95)
    }

    @Test func sp500IntradayOnNYSE() throws {
        let r = try QualityData.report("mplf_SP500_NOV2019_IDay.csv", .m1, .newYork, asset: .index)
        #expect(r.count("volume_not_reported") == 1)
        #expect(r.count("zero_volume") == 0)
        #expect(r.count("missing_bars") == 0)
        // The 16:00 bars of 11/5, 11/6 and 11/7 start at the close.
        #expect(r.issues("outside_session").map { date($0.timestamp).description } == ["2019-11-05", "2019-11-06", "2019-11-07"])
        #expect(r.score >= 0.95)
    }

    @Test func deletedSessionsAreFoundAndRealClosuresAreNot() throws {
        var bars = try QualityData.bars("bluefin_MSFT.csv")
        let drop: Set<String> = ["2001-09-17", "2008-09-15", "2012-10-31", "2020-03-16"]
        bars.removeAll { drop.contains(CivilDate(unixSeconds: $0.timestamp).description) }
        let r = QualityChecker.report(QualityInput(bars: bars, timeframe: .d1, assetClass: .equity, calendar: NYSECalendar(),
                                                   now: bars.last!.timestamp + 86_400))
        #expect(Set(r.issues("missing_session").map { date($0.timestamp).description }) == drop)
    }

    @Test func staleness() throws {
        let bars = try QualityData.bars("bluefin_MSFT.csv")
        let now = CivilDate(year: 2021, month: 1, day: 5).unixSeconds
        let r = QualityChecker.report(QualityInput(bars: bars, timeframe: .d1, assetClass: .equity, calendar: NYSECalendar(), now: now))
        #expect(r.count("stale_data") == 1)
        #expect(r.issues("stale_data").first?.message.contains("14 XNYS session(s) have closed since (latest 2021-01-04)") == true)
        // Friday's bar, read on Saturday and on Monday before the close, is current.
        for t in [CivilDate(year: 2020, month: 12, day: 12).unixSeconds, CivilDate(year: 2020, month: 12, day: 14).unixSeconds + 20 * 3_600] {
            let ok = QualityChecker.report(QualityInput(bars: bars, timeframe: .d1, assetClass: .equity, calendar: NYSECalendar(), now: t))
            #expect(ok.count("stale_data") == 0)
        }
    }
}
