import Foundation
import Indicators
import Testing

/// Every output, every bar, against TA-Lib's C library over whole real histories.
///
/// `talib_reference.py` (run with `GS_TALIB_PYTHON`, default `.build/pyenv/bin/python3`, set up by `make test-deps`)
/// parses the file and prints the parsed columns with TA-Lib's values; our functions get the same parsed columns,
/// so parsing differences cannot hide anything. GS_SKIP_TALIB=1 skips the comparison.
@Suite struct IndicatorsReferenceTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var dataDirectory: URL {
        let sibling = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
        if FileManager.default.fileExists(atPath: sibling.path) { return sibling }
        if let dir = ProcessInfo.processInfo.environment["GS_SHARED_DIR"] {
            let url = URL(fileURLWithPath: dir)
            let data = url.appendingPathComponent("data")
            return FileManager.default.fileExists(atPath: data.appendingPathComponent("SOURCES.md").path) ? data : url
        }
        return sibling
    }

    static var python: String {
        ProcessInfo.processInfo.environment["GS_TALIB_PYTHON"]
            ?? packageRoot.appendingPathComponent(".build/pyenv/bin/python3").path
    }

    static let files = ["bluefin_AAPL.csv", "bluefin_MSFT.csv", "bluefin_PG.csv", "bluefin_JPM.csv",
                        "bt_orcl-1995-2014.txt", "pta_SPY_D.csv", "bestdaybtc_BTC-USD.csv"]

    /// Runs the reference script on one file and decodes its JSON object.
    static func reference(_ file: String) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [packageRoot.appendingPathComponent("Tests/IndicatorsTests/talib_reference.py").path,
                             dataDirectory.appendingPathComponent(file).path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ReferenceError.script("talib_reference.py failed on \(file): \(String(decoding: errData, as: UTF8.self))")
        }
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ReferenceError.script("talib_reference.py printed no JSON object for \(file)")
        }
        return object
    }

    enum ReferenceError: Error { case script(String) }

    /// A JSON array of numbers and nulls, nulls as NaN.
    static func series(_ object: [String: Any], _ key: String) -> [Double] {
        (object[key] as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .nan }
    }

    /// A column bit for bit, from its `<name>_hex` strings (null as NaN): the JSON reader's own number parsing
    /// is not guaranteed to round 17-digit values correctly.
    static func exactColumn(_ object: [String: Any], _ key: String) -> [Double] {
        let hex = (object[key + "_hex"] as? [Any] ?? []).map { ($0 as? String).flatMap { Double($0) } ?? .nan }
        return hex.count == (object[key] as? [Any] ?? []).count ? hex : series(object, key)
    }

    @Test(arguments: files)
    func matchesTALib(file: String) throws {
        if ProcessInfo.processInfo.environment["GS_SKIP_TALIB"] == "1" { return }
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            Issue.record("No Python with TA-Lib at \(Self.python): run `make test-deps` (or set GS_TALIB_PYTHON; GS_SKIP_TALIB=1 skips this test)")
            return
        }
        let ref = try Self.reference(file)
        let h = Self.exactColumn(ref, "high"), l = Self.exactColumn(ref, "low"), c = Self.exactColumn(ref, "close")
        let v = Self.exactColumn(ref, "volume")
        let dates = (ref["date"] as? [String]) ?? []
        #expect(c.count > 3000 && h.count == c.count && l.count == c.count && v.count == c.count && dates.count == c.count)
        let sessionStart = dates.indices.map { $0 == 0 || dates[$0].prefix(10) != dates[$0 - 1].prefix(10) }

        let m = TA.macd(c, fast: 12, slow: 26, signal: 9)
        let bb = TA.bbands(c, period: 20, k: 2)
        let st = TA.stoch(high: h, low: l, close: c, fastK: 14, slowK: 3, slowD: 3)
        let ax = TA.adx(high: h, low: l, close: c, period: 14)
        let dc = TA.donchian(high: h, low: l, period: 20)
        let ours: [(String, [Double])] = [
            ("sma20", TA.sma(c, period: 20)), ("ema20", TA.ema(c, period: 20)), ("wma20", TA.wma(c, period: 20)),
            ("rsi14", TA.rsi(c, period: 14)),
            ("macd", m.macd), ("macd_signal", m.signal), ("macd_hist", m.histogram),
            ("bb_upper", bb.upper), ("bb_middle", bb.middle), ("bb_lower", bb.lower),
            ("atr14", TA.atr(high: h, low: l, close: c, period: 14)),
            ("natr14", TA.natr(high: h, low: l, close: c, period: 14)),
            ("stoch_k", st.k), ("stoch_d", st.d),
            ("willr14", TA.willr(high: h, low: l, close: c, period: 14)),
            ("cci20", TA.cci(high: h, low: l, close: c, period: 20)),
            ("mfi14", TA.mfi(high: h, low: l, close: c, volume: v, period: 14)),
            ("obv", TA.obv(close: c, volume: v)),
            ("adx14", ax.adx), ("plus_di14", ax.plusDI), ("minus_di14", ax.minusDI),
            ("roc10", TA.roc(c, period: 10)),
            ("donchian_upper", dc.upper), ("donchian_middle", dc.middle), ("donchian_lower", dc.lower),
            ("vwap", TA.vwap(high: h, low: l, close: c, volume: v, sessionStart: sessionStart)),
        ]
        var report = "TA-Lib \(ref["talib_version"] ?? "?") vs ours, \(file), \(c.count) bars — max relative error:"
        for (name, mine) in ours {
            let theirs = Self.exactColumn(ref, name)
            #expect(theirs.count == mine.count, "\(file) \(name): \(theirs.count) reference values, \(mine.count) ours")
            var maxRel = 0.0
            var failures = 0
            for i in 0..<min(theirs.count, mine.count) {
                let t = theirs[i], o = mine[i]
                if t.isNaN || o.isNaN {
                    if t.isNaN != o.isNaN {
                        failures += 1
                        if failures <= 3 { Issue.record("\(file) \(name)[\(i)] \(dates[i]): ours \(o), TA-Lib \(t) (NaN positions differ)") }
                    }
                    continue
                }
                let rel = abs(o - t) / max(1, abs(t))
                maxRel = max(maxRel, rel)
                if !(rel <= 1e-9) {
                    failures += 1
                    if failures <= 3 { Issue.record("\(file) \(name)[\(i)] \(dates[i]): ours \(o), TA-Lib \(t), relative error \(rel)") }
                }
            }
            if failures > 3 { Issue.record("\(file) \(name): \(failures) bars differ in all") }
            report += "\n  \(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(maxRel)"
        }
        print(report)
    }
}
