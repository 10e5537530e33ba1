import Testing
@testable import Market

/// A fixed test calendar: weekdays 14:30Z–21:00Z, closed 2024-01-15, early close 18:00Z on 2024-01-19.
struct AggregationTestCalendar: TradingCalendar {
    let identifier = "TEST"
    func session(on date: CivilDate) -> TradingSession? {
        guard date.weekday <= 5, date != CivilDate(year: 2024, month: 1, day: 15) else { return nil }
        let early = date == CivilDate(year: 2024, month: 1, day: 19)
        return TradingSession(date: date, open: date.unixSeconds + 14 * 3600 + 1800,
                              close: date.unixSeconds + (early ? 18 : 21) * 3600, isEarlyClose: early)
    }
    func closureReason(on date: CivilDate) -> String? { session(on: date) == nil && date.weekday <= 5 ? "Holiday" : nil }
}

/// Minute bars from `start` for `count` minutes: price rises by 1 a minute, volume 1.
private func minutes(_ start: Int64, _ count: Int, base: Double = 100) -> [Bar] {
    (0..<count).map { i in
        let p = base + Double(i)
        return Bar(timestamp: start + Int64(i) * 60, open: p, high: p + 0.5, low: p - 0.5, close: p + 0.25, volume: 1)
    }
}

private let mon = CivilDate(year: 2024, month: 1, day: 8)   // a Monday
private func open(_ d: CivilDate) -> Int64 { d.unixSeconds + 14 * 3600 + 1800 }

@Suite struct AggregationTests {
    let cal = AggregationTestCalendar()

    @Test func fiveMinutesAlignedToOpenWithOHLCV() {
        let bars = BarAggregator.aggregate(minutes(open(mon), 10), to: .m5, calendar: cal)
        #expect(bars == [
            Bar(timestamp: open(mon), open: 100, high: 104.5, low: 99.5, close: 104.25, volume: 5),
            Bar(timestamp: open(mon) + 300, open: 105, high: 109.5, low: 104.5, close: 109.25, volume: 5),
        ])
    }

    @Test func hourAndFourHourBucketsStartAtTheOpenAndStopAtTheClose() {
        let day = minutes(open(mon) - 30 * 60, 30 + 390 + 60)   // 30 pre-market, the session, 60 after-hours
        let h1 = BarAggregator.aggregate(day, to: .h1, calendar: cal)
        #expect(h1.map(\.timestamp) == (0..<7).map { open(mon) + Int64($0) * 3600 })
        #expect(h1.map(\.volume) == [60, 60, 60, 60, 60, 60, 30])
        #expect(h1.first?.open == 130)   // the first in-session minute, not pre-market
        let h4 = BarAggregator.aggregate(day, to: .h4, calendar: cal)
        #expect(h4.map(\.timestamp) == [open(mon), open(mon) + 4 * 3600])
        #expect(h4.map(\.volume) == [240, 150])
        let m30 = BarAggregator.aggregate(day, to: .m30, calendar: cal)
        #expect(m30.count == 13 && m30.allSatisfy { $0.volume == 30 })
    }

    @Test func earlyCloseTruncatesTheLastBar() {
        let fri = CivilDate(year: 2024, month: 1, day: 19)
        let h1 = BarAggregator.aggregate(minutes(open(fri), 390), to: .h1, calendar: cal)
        #expect(h1.map(\.volume) == [60, 60, 60, 30])   // 14:30–18:00Z only
    }

    @Test func dailyIsOneSessionStampedAtMidnightUTC() {
        let tue = mon.adding(days: 1)
        let input = minutes(open(mon), 390, base: 10) + minutes(open(tue), 390, base: 20)
        let d1 = BarAggregator.aggregate(input, to: .d1, calendar: cal)
        #expect(d1 == [
            Bar(timestamp: mon.unixSeconds, open: 10, high: 399.5, low: 9.5, close: 399.25, volume: 390),
            Bar(timestamp: tue.unixSeconds, open: 20, high: 409.5, low: 19.5, close: 409.25, volume: 390),
        ])
    }

    @Test func weeklyIsMondayBasedStampedAtFirstTradingDate() {
        // Week of 2024-01-15: Monday closed, so the week's bar is stamped Tuesday 2024-01-16.
        var input: [Bar] = []
        for d in 0..<12 {
            let date = mon.adding(days: d)
            if cal.session(on: date) != nil { input += minutes(open(date), 60, base: Double(d)) }
        }
        let w1 = BarAggregator.aggregate(input, to: .w1, calendar: cal)
        #expect(w1.map(\.timestamp) == [mon.unixSeconds, CivilDate(year: 2024, month: 1, day: 16).unixSeconds])
        #expect(w1.map(\.volume) == [300, 240])
        #expect(w1.first?.open == 0 && w1.first?.close == 4 + 59.25)
    }

    @Test func cryptoWithoutCalendarUsesUTC() {
        let sunday = CivilDate(year: 2024, month: 1, day: 7).unixSeconds
        let input = minutes(sunday + 23 * 3600 + 30 * 60, 90)   // Sun 23:30Z → Mon 01:00Z
        let h1 = BarAggregator.aggregate(input, to: .h1, calendar: nil)
        #expect(h1.map(\.timestamp) == [sunday + 23 * 3600, sunday + 24 * 3600])
        #expect(h1.map(\.volume) == [30, 60])
        let d1 = BarAggregator.aggregate(input, to: .d1, calendar: nil)
        #expect(d1.map(\.timestamp) == [sunday, sunday + 86_400])
        let w1 = BarAggregator.aggregate(input, to: .w1, calendar: nil)
        #expect(w1.map(\.timestamp) == [sunday - 6 * 86_400, sunday + 86_400])   // Mondays 2024-01-01 and 2024-01-08
        #expect(BarAggregator.aggregate(input, to: .m1, calendar: nil) == input)
        #expect(BarAggregator.aggregate([], to: .h1, calendar: nil).isEmpty)
    }
}
