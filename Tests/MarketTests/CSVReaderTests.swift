import Market
import Testing

@Suite struct CSVReaderTests {
    struct Case: Sendable, CustomStringConvertible {
        var file: String
        var tf: Timeframe = .d1
        var zone: LocalTimeZone = .utc
        var rows: Int
        var bars: Int
        var first: Bar
        var last: Bar
        var description: String { file }
    }

    static func day(_ y: Int, _ m: Int, _ d: Int) -> Int64 { CivilDate(year: y, month: m, day: d).unixSeconds }

    static let cases: [Case] = [
        Case(file: "bluefin_MSFT.csv", rows: 8_761, bars: 8_761,
             first: Bar(timestamp: day(1986, 3, 13), open: 0.088542, high: 0.101563, low: 0.088542, close: 0.097222, volume: 1_031_788_800),
             last: Bar(timestamp: day(2020, 12, 11), open: 210.050003, high: 213.320007, low: 209.110001, close: 213.259995, volume: 30_972_600)),
        Case(file: "bluefin_AAPL.csv", rows: 10_087, bars: 10_086,
             first: Bar(timestamp: day(1980, 12, 12), open: 0.128348, high: 0.128906, low: 0.128348, close: 0.128348, volume: 469_033_600),
             last: Bar(timestamp: day(2020, 12, 11), open: 122.43, high: 122.760002, low: 120.550003, close: 122.410004, volume: 86_860_000)),
        Case(file: "bluefin_PG.csv", rows: 14_840, bars: 14_840,
             first: Bar(timestamp: day(1962, 1, 2), open: 0, high: 1.441406, low: 1.421875, close: 1.429688, volume: 192_000),
             last: Bar(timestamp: day(2020, 12, 11), open: 134.460007, high: 136.800003, low: 134.199997, close: 136.509995, volume: 6_548_000)),
        Case(file: "bluefin_JPM.csv", rows: 10_275, bars: 10_275,
             first: Bar(timestamp: day(1980, 3, 17), open: 0, high: 5.12963, low: 5.018518, close: 5.037037, volume: 62_400),
             last: Bar(timestamp: day(2020, 12, 11), open: 118.940002, high: 120.019997, low: 118.370003, close: 119.559998, volume: 9_981_200)),
        Case(file: "bluefin_VIV.csv", rows: 2, bars: 1,
             first: Bar(timestamp: day(2020, 12, 11), open: 8.92, high: 9.405, low: 8.91, close: 9.39, volume: 1_583_343),
             last: Bar(timestamp: day(2020, 12, 11), open: 8.92, high: 9.405, low: 8.91, close: 9.39, volume: 1_583_343)),
        Case(file: "mplf_yahoofinance-SPY-20080101-20180101.csv", rows: 2_519, bars: 2_519,
             first: Bar(timestamp: day(2007, 12, 31), open: 147.100006, high: 147.610001, low: 146.059998, close: 146.210007, volume: 108_126_800),
             last: Bar(timestamp: day(2017, 12, 29), open: 268.529999, high: 268.549988, low: 266.640015, close: 266.859985, volume: 96_007_400)),
        Case(file: "pta_SPY_D.csv", rows: 5_241, bars: 5_241,
             first: Bar(timestamp: day(1999, 11, 1), open: 136.5, high: 137.0, low: 135.5625, close: 135.5625, volume: 4_006_500),
             last: Bar(timestamp: day(2020, 8, 28), open: 349.44, high: 350.72, low: 348.15, close: 350.58, volume: 48_588_940)),
        Case(file: "bt_orcl-1995-2014.txt", rows: 5_036, bars: 5_036,
             first: Bar(timestamp: day(1995, 1, 3), open: 2.179012, high: 2.191358, low: 2.117284, close: 2.117284, volume: 36_301_200),
             last: Bar(timestamp: day(2014, 12, 31), open: 45.450001, high: 45.560001, low: 44.970001, close: 44.970001, volume: 13_269_200)),
        Case(file: "bestdaybtc_BTC-USD.csv", rows: 3_143, bars: 3_143,
             first: Bar(timestamp: day(2014, 9, 17), open: 465.864014, high: 468.174011, low: 452.421997, close: 457.334015, volume: 21_056_800),
             last: Bar(timestamp: day(2023, 4, 25), open: 27528.955078, high: 28366.632813, low: 27207.931641, close: 28246.691406, volume: 17_528_045_568)),
        Case(file: "mplf_SP500_NOV2019_IDay.csv", tf: .m1, zone: .newYork, rows: 1_563, bars: 1_563,
             first: Bar(timestamp: 1_572_964_200, open: 3080.8, high: 3081.47, low: 3080.3, close: 3080.49, volume: 0),
             last: Bar(timestamp: 1_573_246_740, open: 3091.16, high: 3092.91, low: 3090.96, close: 3092.91, volume: 0)),
        Case(file: "bt_2006-min-005.txt", tf: .m5, zone: .centralEurope, rows: 2_142, bars: 2_142,
             first: Bar(timestamp: 1_136_189_100, open: 3578.73, high: 3587.88, low: 3578.73, close: 3582.99, volume: 0),
             last: Bar(timestamp: 1_138_638_600, open: 3679.29, high: 3679.40, low: 3676.31, close: 3677.52, volume: 0)),
        Case(file: "bt_2006-01-02-volume-min-001.txt", tf: .m1, zone: .centralEurope, rows: 30_889, bars: 30_889,
             first: Bar(timestamp: 1_136_188_860, open: 3602, high: 3603, low: 3597, close: 3599, volume: 5_699),
             last: Bar(timestamp: 1_141_074_000, open: 3840, high: 3840, low: 3838, close: 3838, volume: 327)),
    ]

    @Test(arguments: cases)
    func realFile(_ c: Case) throws {
        let r = try CSVTestData.parse(c.file, c.tf, c.zone)
        #expect(r.dataRows == c.rows)
        #expect(r.bars.count == c.bars)
        #expect(r.bars.first == c.first)
        #expect(r.bars.last == c.last)
        #expect(zip(r.bars, r.bars.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp })
        #expect(r.rejected.count + r.duplicatesReplaced + r.bars.count == r.dataRows)
    }

    @Test func tslaAndQQQ() throws {
        #expect(try CSVTestData.parse("bluefin_TSLA.csv").bars.count == 2_634)
        #expect(try CSVTestData.parse("bluefin_QQQ.csv").bars.count == 5_478)
    }

    @Test func aaplNullRowRejectedWithFileLine() throws {
        let r = try CSVTestData.parse("bluefin_AAPL.csv")
        #expect(r.rejected == [CSVRejectedRow(line: 167, reason: "open is null ('null')")])
        #expect(!r.bars.contains { CivilDate(unixSeconds: $0.timestamp) == CivilDate(year: 1981, month: 8, day: 10) })
    }

    @Test func vivDuplicateLastWins() throws {
        let r = try CSVTestData.parse("bluefin_VIV.csv")
        #expect(r.duplicatesReplaced == 1)
        #expect(r.bars.map(\.volume) == [1_583_343])
    }

    @Test func dialectNames() throws {
        #expect(try CSVTestData.parse("bt_2006-01-02-volume-min-001.txt", .m1, .centralEurope).format.contains("header lacks the Time"))
        #expect(try CSVTestData.parse("pta_SPY_D.csv").format.contains("pandas"))
        #expect(try CSVTestData.parse("mplf_SP500_NOV2019_IDay.csv", .m1, .newYork).format.contains("open,close,high,low"))
        #expect(try CSVTestData.parse("bluefin_MSFT.csv").format.contains("Adj Close ignored"))
    }

    func parse(_ text: String, _ tf: Timeframe = .d1, _ zone: LocalTimeZone = .utc) throws -> CSVParseResult {
        try OHLCVCSVReader.parse(Array(text.utf8), options: CSVImportOptions(timeframe: tf, localTimeZone: zone))
    }

    @Test func rejectsBadRowsWithReasons() throws {
        let r = try parse("""
            Date,Open,High,Low,Close,Volume
            2024-01-02,1,2,0.5,1.5,100
            2024-01-03,abc,2,0.5,1.5,100
            2024-01-04,1,2,0.5,-1.5,100
            2024-01-05,1,2,0.5,1.5
            2024-13-01,1,2,0.5,1.5,100
            2024-01-08,1,inf,0.5,1.5,100
            2024-01-09,1,2,0.5,1.5,
            2024-01-10,0,1,2,1.5,0

            """)
        #expect(r.dataRows == 8)
        #expect(r.bars.count == 2)                       // High < Low and zero open are kept for the quality checks
        #expect(r.rejected.map(\.line) == [3, 4, 5, 6, 7, 8])
        #expect(r.rejected[0].reason.contains("open is not a number"))
        #expect(r.rejected[1].reason.contains("close is negative"))
        #expect(r.rejected[2].reason == "expected 6 fields, found 5")
        #expect(r.rejected[3].reason.contains("date"))
        #expect(r.rejected[4].reason.contains("high is not finite"))
        #expect(r.rejected[5].reason == "volume is empty")
    }

    @Test func timestampsISOUnixAndLocal() throws {
        let r = try parse("""
            timestamp,open,high,low,close,volume\r
            2024-03-11T13:30:00Z,1,1,1,1,1\r
            2024-03-11T09:31:00-04:00,1,1,1,1,1\r
            1710163920,1,1,1,1,1\r
            2024-03-11 09:33,1,1,1,1,1
            """, .m1, .newYork)
        let base = CivilDate(year: 2024, month: 3, day: 11).unixSeconds + 13 * 3_600 + 1_800
        #expect(r.bars.map(\.timestamp) == [base, base + 60, base + 120, base + 180])
    }

    @Test func semicolonsQuotesAndUnsortedRows() throws {
        let r = try parse("\"DATE\";\"CLOSE\";\"OPEN\";\"HIGH\";\"LOW\"\n2024-01-03;2;2;2;2\n2024-01-02;1;1;1;1\n")
        #expect(r.bars.map(\.close) == [1, 2])
        #expect(r.bars.allSatisfy { $0.volume == 0 })
    }

    @Test func unusableHeaderThrowsNamingTheColumn() {
        #expect(throws: CSVFormatError.self) { try parse("Date,Open,Low,Close,Volume\n2024-01-02,1,1,1,1\n") }
        do {
            _ = try parse("Date,Open,Low,Close,Volume\n")
        } catch let e as CSVFormatError {
            #expect(e.message.contains("'high'"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
        #expect(throws: CSVFormatError.self) { try parse("") }
    }
}

@Suite struct CSVRejectionLimitTests {
    @Test func theFirstThousandRejectionsAreKeptWithReasonsAndTheRestCounted() throws {
        var text = "date,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,100\n"
        for i in 0..<2_500 { text += "2024-01-03,x\(i),2,0.5,1.5,100\n" }
        let r = try OHLCVCSVReader.parse(Array(text.utf8), options: CSVImportOptions(timeframe: .d1))
        #expect(r.bars.count == 1)
        #expect(r.dataRows == 2_501)
        #expect(r.rejected.count == OHLCVCSVReader.maxRejectedKept)
        #expect(r.rejectedTotal == 2_500)
        #expect(r.rejected.first?.line == 3)
        #expect(r.rejected.first?.reason.contains("open") == true)
        #expect(r.rejected.last?.line == 1_002)
    }
}
