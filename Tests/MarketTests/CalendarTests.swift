import Market
import Testing

@Suite struct CalendarTests {
    let nyse = NYSECalendar()

    func d(_ y: Int, _ m: Int, _ day: Int) -> CivilDate { CivilDate(year: y, month: m, day: day) }

    /// Weekdays of a year on which the calendar has no session.
    func weekdayClosures(_ year: Int) -> [CivilDate] {
        var out: [CivilDate] = []
        var date = d(year, 1, 1)
        while date.year == year {
            if date.weekday <= 5 && nyse.session(on: date) == nil { out.append(date) }
            date = date.adding(days: 1)
        }
        return out
    }

    /// `trades(on:)` (asked of every day of a history by generation) says what `session(on:)` does, on
    /// every day from 1960 through 2035, for each calendar.
    @Test func tradesAgreesWithSessionOnEveryDay() {
        let calendars: [any TradingCalendar] = [NYSECalendar(), WeekdayCalendar(), AlwaysOpenCalendar()]
        let first = CivilDate(year: 1960, month: 1, day: 1), last = CivilDate(year: 2035, month: 12, day: 31)
        for calendar in calendars {
            var closed = 0
            for day in first.daysSinceEpoch...last.daysSinceEpoch {
                let date = CivilDate(daysSinceEpoch: day)
                #expect(calendar.trades(on: date) == (calendar.session(on: date) != nil), "\(calendar.identifier) \(date)")
                if !calendar.trades(on: date) { closed += 1 }
            }
            if calendar.identifier == "XNYS" { #expect(closed > 76 * 104 + 76 * 8) }   // weekends and holidays
        }
    }

    @Test func holidays2024() {
        #expect(weekdayClosures(2024) == [d(2024, 1, 1), d(2024, 1, 15), d(2024, 2, 19), d(2024, 3, 29), d(2024, 5, 27),
                                          d(2024, 6, 19), d(2024, 7, 4), d(2024, 9, 2), d(2024, 11, 28), d(2024, 12, 25)])
        #expect(nyse.closureReason(on: d(2024, 3, 29)) == "Good Friday")
        #expect(nyse.closureReason(on: d(2024, 11, 28)) == "Thanksgiving Day")
    }

    @Test func holidays2025() {
        #expect(weekdayClosures(2025) == [d(2025, 1, 1), d(2025, 1, 9), d(2025, 1, 20), d(2025, 2, 17), d(2025, 4, 18),
                                          d(2025, 5, 26), d(2025, 6, 19), d(2025, 7, 4), d(2025, 9, 1), d(2025, 11, 27),
                                          d(2025, 12, 25)])
        #expect(nyse.closureReason(on: d(2025, 1, 9))?.contains("Carter") == true)
    }

    @Test func observanceRules() {
        #expect(nyse.session(on: d(2021, 12, 31)) != nil)              // Saturday New Year not observed
        #expect(nyse.closureReason(on: d(2022, 1, 17)) == "Martin Luther King Jr. Day")
        #expect(nyse.closureReason(on: d(2023, 1, 2)) == "New Year's Day")   // Sunday → Monday
        #expect(nyse.closureReason(on: d(2022, 6, 20)) != nil)          // Juneteenth Sunday → Monday
        #expect(nyse.session(on: d(2021, 6, 18)) != nil)                // no Juneteenth before 2022
        #expect(nyse.closureReason(on: d(2020, 7, 3)) == "Independence Day")  // Saturday → Friday
        #expect(nyse.closureReason(on: d(2021, 12, 24)) == "Christmas Day")
        #expect(nyse.closureReason(on: d(1970, 2, 23)) == "Washington's Birthday")
        #expect(nyse.closureReason(on: d(1969, 5, 30)) == "Memorial Day")
        #expect(nyse.closureReason(on: d(1980, 11, 4)) == "Election Day")
        #expect(nyse.session(on: d(1984, 11, 6)) != nil)
        #expect(nyse.closureReason(on: d(2024, 3, 30)) == nil)          // Saturday: not a closure
    }

    @Test(arguments: [(1981, 4, 17), (2000, 4, 21), (2008, 3, 21), (2016, 3, 25), (2019, 4, 19), (2021, 4, 2),
                      (2024, 3, 29), (2025, 4, 18), (2038, 4, 23)])
    func goodFriday(_ y: Int, _ m: Int, _ day: Int) {
        #expect(nyse.closureReason(on: d(y, m, day)) == "Good Friday")
        #expect(NYSECalendar.easter(year: y) == d(y, m, day).adding(days: 2))
    }

    @Test func specialClosures() {
        for day in 11...14 { #expect(nyse.session(on: d(2001, 9, day)) == nil) }
        #expect(nyse.session(on: d(2001, 9, 17)) != nil)
        #expect(nyse.closureReason(on: d(2012, 10, 29)) == "Hurricane Sandy")
        #expect(nyse.closureReason(on: d(2012, 10, 30)) == "Hurricane Sandy")
        for (y, m, day) in [(2004, 6, 11), (2007, 1, 2), (2018, 12, 5), (1994, 4, 27), (1985, 9, 27), (1977, 7, 14)] {
            #expect(nyse.session(on: d(y, m, day)) == nil, "\(y)-\(m)-\(day)")
        }
    }

    @Test func earlyCloses() throws {
        // 13:00 EDT = 17:00 UTC; 13:00 EST = 18:00 UTC.
        let july3 = try #require(nyse.session(on: d(2024, 7, 3)))
        #expect(july3.isEarlyClose && july3.close == d(2024, 7, 3).unixSeconds + 17 * 3_600)
        let blackFriday = try #require(nyse.session(on: d(2024, 11, 29)))
        #expect(blackFriday.isEarlyClose && blackFriday.close == d(2024, 11, 29).unixSeconds + 18 * 3_600)
        #expect(nyse.session(on: d(2024, 12, 24))?.isEarlyClose == true)
        #expect(nyse.session(on: d(2018, 12, 24))?.isEarlyClose == true)
        #expect(nyse.session(on: d(2002, 7, 5))?.isEarlyClose == true)
        #expect(nyse.session(on: d(2002, 7, 3))?.isEarlyClose == false)
        #expect(nyse.session(on: d(2019, 7, 3))?.isEarlyClose == true)
        #expect(nyse.session(on: d(2024, 7, 5))?.isEarlyClose == false)
        #expect(nyse.session(on: d(2020, 12, 24))?.isEarlyClose == true)
    }

    @Test func dstTransitions() {
        let h: Int64 = 3_600
        // 2007 rule.
        let s24 = d(2024, 3, 10).unixSeconds
        #expect(ExchangeTime.newYorkOffset(atUTC: s24 + 7 * h - 1) == -5 * h)
        #expect(ExchangeTime.newYorkOffset(atUTC: s24 + 7 * h) == -4 * h)
        let e24 = d(2024, 11, 3).unixSeconds
        #expect(ExchangeTime.newYorkOffset(atUTC: e24 + 6 * h - 1) == -4 * h)
        #expect(ExchangeTime.newYorkOffset(atUTC: e24 + 6 * h) == -5 * h)
        #expect(nyse.session(on: d(2024, 3, 8))?.open == d(2024, 3, 8).unixSeconds + 14 * h + 1_800)
        #expect(nyse.session(on: d(2024, 3, 11))?.open == d(2024, 3, 11).unixSeconds + 13 * h + 1_800)
        #expect(nyse.session(on: d(2024, 11, 4))?.close == d(2024, 11, 4).unixSeconds + 21 * h)
        // 1987–2006 rule: first Sunday of April, last Sunday of October.
        #expect(nyse.session(on: d(2006, 3, 31))?.open == d(2006, 3, 31).unixSeconds + 14 * h + 1_800)
        #expect(nyse.session(on: d(2006, 4, 3))?.open == d(2006, 4, 3).unixSeconds + 13 * h + 1_800)
        #expect(nyse.session(on: d(2006, 10, 30))?.open == d(2006, 10, 30).unixSeconds + 14 * h + 1_800)
        // 1976–1986 rule: last Sunday of April (1986-04-27).
        #expect(nyse.session(on: d(1986, 4, 25))?.open == d(1986, 4, 25).unixSeconds + 14 * h + 1_800)
        #expect(nyse.session(on: d(1986, 4, 28))?.open == d(1986, 4, 28).unixSeconds + 13 * h + 1_800)
        // 1967 rule and the 1974 energy-crisis start (Jan 6).
        #expect(ExchangeTime.newYorkOffset(atUTC: d(1968, 4, 29).unixSeconds + 12 * h) == -4 * h)
        #expect(ExchangeTime.newYorkOffset(atUTC: d(1974, 1, 7).unixSeconds + 12 * h) == -4 * h)
        // Local → UTC, including the skipped hour.
        #expect(ExchangeTime.newYorkLocalToUTC(date: d(2019, 11, 5), secondsOfDay: 9 * 3_600 + 1_800) == 1_572_964_200)
        #expect(ExchangeTime.newYorkLocalToUTC(date: d(2024, 3, 10), secondsOfDay: 2 * 3_600 + 1_800)
                == s24 + 7 * h + 1_800)
        // EU rule: last Sunday of March / October at 01:00 UTC; September end before 1996.
        let eu = d(2024, 3, 31).unixSeconds
        #expect(ExchangeTime.centralEuropeOffset(atUTC: eu + h - 1) == h)
        #expect(ExchangeTime.centralEuropeOffset(atUTC: eu + h) == 2 * h)
        let euEnd = d(2024, 10, 27).unixSeconds
        #expect(ExchangeTime.centralEuropeOffset(atUTC: euEnd + h - 1) == 2 * h)
        #expect(ExchangeTime.centralEuropeOffset(atUTC: euEnd + h) == h)
        #expect(ExchangeTime.centralEuropeOffset(atUTC: d(1990, 10, 10).unixSeconds) == h)
        #expect(ExchangeTime.centralEuropeLocalToUTC(date: d(2006, 1, 2), secondsOfDay: 9 * 3_600 + 300) == 1_136_189_100)
    }

    /// Every NYSE session between the file's first and last date, as dates.
    func sessions(from a: CivilDate, to b: CivilDate) -> [CivilDate] {
        var out: [CivilDate] = []
        var date = a
        while date <= b {
            if nyse.session(on: date) != nil { out.append(date) }
            date = date.adding(days: 1)
        }
        return out
    }

    @Test(arguments: ["bluefin_MSFT.csv", "bluefin_QQQ.csv", "mplf_yahoofinance-SPY-20080101-20180101.csv",
                      "bluefin_TSLA.csv", "bluefin_JPM.csv", "bt_orcl-1995-2014.txt", "pta_SPY_D.csv"])
    func sessionsMatchRealFiles(_ file: String) throws {
        let dates = try CSVTestData.dates(file)
        let expected = sessions(from: dates.first!, to: dates.last!)
        #expect(expected.count == dates.count)
        #expect(Set(expected).symmetricDifference(dates).sorted().map(\.description) == [])
    }

    @Test func sessionsMatchAAPLExceptItsNullRow() throws {
        let dates = try CSVTestData.dates("bluefin_AAPL.csv")
        let missing = Set(sessions(from: dates.first!, to: dates.last!)).subtracting(dates)
        #expect(missing == [d(1981, 8, 10)])
    }

    @Test func sessionsMatchPGFrom1962() throws {
        let dates = try CSVTestData.dates("bluefin_PG.csv")
        #expect(Set(sessions(from: dates.first!, to: dates.last!)).symmetricDifference(dates).sorted().map(\.description) == [])
    }

    @Test func otherCalendars() {
        let crypto = Calendars.calendar(for: .crypto, exchange: nil)
        #expect(crypto.identifier == "24x7")
        #expect(crypto.session(on: d(2024, 12, 25))?.open == d(2024, 12, 25).unixSeconds)
        #expect(crypto.session(on: d(2024, 12, 28))?.close == d(2024, 12, 29).unixSeconds)
        #expect(Calendars.calendar(for: .equity, exchange: "NASDAQ").identifier == "XNYS")
        #expect(Calendars.calendar(for: .index, exchange: nil).identifier == "XNYS")
        #expect(Calendars.calendar(for: .etf, exchange: "nyseArca").identifier == "XNYS")
        let fx = Calendars.calendar(for: .fx, exchange: nil)
        #expect(fx.identifier == "24x5")
        #expect(fx.session(on: d(2024, 12, 28)) == nil)
        #expect(Calendars.calendar(for: .index, exchange: "EUREX").identifier == "24x5")
    }
}
