import Market
import Testing

/// When a bar is final by its market's calendar (the rule ingestion's checkpoint follows).
@Suite struct BarCompletionTests {
    static func day(_ y: Int, _ m: Int, _ d: Int) -> Int64 { CivilDate(year: y, month: m, day: d).unixSeconds }
    static func newYork(_ y: Int, _ m: Int, _ d: Int, _ h: Int, _ mi: Int = 0) -> Int64 {
        ExchangeTime.newYorkLocalToUTC(date: CivilDate(year: y, month: m, day: d), secondsOfDay: h * 3_600 + mi * 60)
    }

    @Test func nyseDailyBarsEndAtTheCloseIncludingEarlyClosesAndDaylightSaving() {
        let nyse = NYSECalendar()
        // 2025-10-28 (EDT): 16:00 New York is 20:00Z.
        #expect(nyse.barEnd(start: Self.day(2025, 10, 28), timeframe: .d1) == Self.day(2025, 10, 28) + 20 * 3_600)
        // 2025-12-01 (EST): 21:00Z.
        #expect(nyse.barEnd(start: Self.day(2025, 12, 1), timeframe: .d1) == Self.day(2025, 12, 1) + 21 * 3_600)
        // The day after Thanksgiving 2025 closes at 13:00.
        #expect(nyse.barEnd(start: Self.day(2025, 11, 28), timeframe: .d1) == Self.newYork(2025, 11, 28, 13))
        // Mid-session the bar is forming; after the close plus the settle time it is final.
        let start = Self.day(2025, 10, 28)
        #expect(!nyse.isBarFinal(start: start, timeframe: .d1, now: Self.newYork(2025, 10, 28, 15), settle: 900))
        #expect(!nyse.isBarFinal(start: start, timeframe: .d1, now: Self.newYork(2025, 10, 28, 16, 5), settle: 900))
        #expect(nyse.isBarFinal(start: start, timeframe: .d1, now: Self.newYork(2025, 10, 28, 16, 15), settle: 900))
        // A bar on a holiday (a defect) ends at the next midnight UTC.
        #expect(nyse.barEnd(start: Self.day(2025, 12, 25), timeframe: .d1) == Self.day(2025, 12, 26))
    }

    @Test func cryptoBarsEndWithTheirUTCDayAndIntradayBarsAtTheCloseAtLatest() {
        let always = AlwaysOpenCalendar()
        #expect(always.barEnd(start: Self.day(2023, 4, 23), timeframe: .d1) == Self.day(2023, 4, 24))
        #expect(always.barEnd(start: Self.day(2023, 4, 23) + 3_600, timeframe: .h1) == Self.day(2023, 4, 23) + 7_200)
        let nyse = NYSECalendar()
        // The 15:30 hourly bar ends at the 16:00 close, not at 16:30.
        #expect(nyse.barEnd(start: Self.newYork(2025, 10, 28, 15, 30), timeframe: .h1) == Self.newYork(2025, 10, 28, 16))
        #expect(nyse.barEnd(start: Self.newYork(2025, 10, 28, 10), timeframe: .m5) == Self.newYork(2025, 10, 28, 10, 5))
        // A week starting Monday 2025-11-24 ends at Friday's early close (the day after Thanksgiving).
        #expect(nyse.barEnd(start: Self.day(2025, 11, 24), timeframe: .w1) == Self.newYork(2025, 11, 28, 13))
        // Starts at the edges of time never overflow.
        #expect(always.barEnd(start: Int64.max - 10, timeframe: .d1) == Int64.max)
        #expect(!always.isBarFinal(start: Int64.max - 10, timeframe: .d1, now: Int64.max, settle: 900))
    }
}
