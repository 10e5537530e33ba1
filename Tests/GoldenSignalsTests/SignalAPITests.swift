import Foundation
@testable import GoldenSignals
import HTTPClient
import Market
import Postgres
import Signals
import Testing

/// Signals end to end: real files imported, generated in PostgreSQL, served over real sockets.
@Suite(.serialized) struct SignalAPITests {
    static func service(_ label: String, importing files: [(String, String)] = [("bluefin_MSFT.csv", "MSFT")],
                        databaseURL: String? = nil) throws -> TestService {
        let s = try TestService(label: label, databaseURL: databaseURL)
        for (file, symbol) in files {
            _ = try s.app.imports.importFile(path: Paths.data(file), symbol: NewSymbol(symbol: symbol, assetClass: AssetClass.infer(fromSymbol: symbol)),
                                             timeframe: .d1, timeZone: .utc)
        }
        return s
    }

    static func signals(_ r: HTTPClientResponse) -> [[String: Any]] { r.json["signals"] as? [[String: Any]] ?? [] }

    /// Every signal of the list `GET /api/v1/signals?<query>`, following `next_cursor` page after page.
    static func allSignals(_ s: TestService, _ query: String, pageSize: Int = 500) throws -> [[String: Any]] {
        var out: [[String: Any]] = []
        var cursor: String?
        repeat {
            let r = try s.get("/api/v1/signals?\(query)&limit=\(pageSize)" + (cursor.map { "&cursor=\($0)" } ?? ""))
            #expect(r.status == 200)
            out += signals(r)
            cursor = r.json["next_cursor"] as? String
        } while cursor != nil
        return out
    }

    /// Generating several series at once computes the next series ahead, outside its transaction;
    /// what is stored is exactly what the engine says about each file, and work computed from a scan
    /// mark that has moved since is thrown away, not stored.
    @Test func pipelinedGenerationStoresWhatTheEngineSaysAndDropsStaleWork() throws {
        let files = [("bluefin_MSFT.csv", "MSFT", AssetClass.equity), ("bt_orcl-1995-2014.txt", "ORCL", .equity),
                     ("bestdaybtc_BTC-USD.csv", "BTC-USD", .crypto)]
        let s = try TestService(label: "sig_pipeline") { $0.generateOnArrival = false }
        for (file, symbol, asset) in files {
            _ = try s.app.imports.importFile(path: Paths.data(file), symbol: NewSymbol(symbol: symbol, assetClass: asset),
                                             timeframe: .d1, timeZone: .utc)
        }
        let summary = try s.app.signalService.generate()
        var expected = 0
        for (file, symbol, asset) in files {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Paths.data(file))))
            let bars = try OHLCVCSVReader.parse(bytes, options: CSVImportOptions(timeframe: .d1, localTimeZone: .utc)).bars
            let made = SignalEngine().run(PriceSeries(bars), info: SeriesInfo(symbol: symbol, timeframe: .d1, assetClass: asset,
                                                                           calendar: Calendars.calendar(for: asset, exchange: nil)))
            expected += made.count
            let stored = Self.signals(try s.get("/api/v1/signals?symbol=\(symbol)&status=all&limit=500"))
            let newest = try #require(made.last)
            #expect(stored.first?["timestamp"] as? String == RFC3339.format(newest.bar.timestamp))
        }
        #expect(summary.series == 3 && summary.generated + summary.rejected == expected)
        #expect(try s.get("/api/v1/signals/funnel?timeframe=1d").json["candidates"] as? Int == expected)

        // Work computed ahead from an older scan mark is not stored: the first half of a file is
        // imported and prepared, the whole file imported and scanned; the early work must neither add
        // anything nor move the scan mark back.
        let lines = try String(contentsOfFile: Paths.data("bluefin_MSFT.csv"), encoding: .utf8).split(separator: "\n")
        let half = FileManager.default.temporaryDirectory.appendingPathComponent("msft-half-\(getpid()).csv")
        try (lines.prefix(lines.count / 2).joined(separator: "\n") + "\n").write(to: half, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: half) }
        let symbol = NewSymbol(symbol: "MSFTH", assetClass: .equity)
        _ = try s.app.imports.importFile(path: half.path, symbol: symbol, timeframe: .d1, timeZone: .utc)
        let msft = try #require(try s.app.symbols.find("MSFTH"))
        let early = try s.app.signalService.prepare(msft, timeframe: .d1)
        #expect(early.through == nil && !early.made.isEmpty)
        _ = try s.app.imports.importFile(path: Paths.data("bluefin_MSFT.csv"), symbol: symbol, timeframe: .d1, timeZone: .utc)
        let full = try s.app.signalService.generate(msft, timeframe: .d1)
        #expect(full.generated + full.rejected > early.made.count)
        func mark() throws -> Int64? {
            try s.app.pool.withConnection { try s.app.signalService.signals.scannedThrough(symbolID: msft.id, timeframe: .d1, on: $0) }
        }
        let scanned = try mark()
        let stale = try s.app.signalService.generate(msft, timeframe: .d1, prepared: early)
        #expect(stale.generated + stale.rejected == 0)
        #expect(try mark() == scanned && scanned != early.bars.last?.timestamp)
    }

    /// The two generation workers share one run: each series is handed out once, sums add up, and the
    /// first failure stops the handing out (a worker finishes its current series) and is what the run reports.
    @Test func generationWorkersTakeEachSeriesOnceAndStopAtTheFirstFailure() throws {
        struct Failed: Error, Equatable { let series: Int }
        let run = SignalService.GenerationRun(count: 1_000)
        let group = DispatchGroup()
        final class Taken: @unchecked Sendable {
            let lock = NSLock()
            var indices: [Int] = []
            func add(_ k: Int) { lock.withLock { indices.append(k) } }
        }
        let taken = Taken()
        for _ in 0..<4 {
            DispatchQueue.global().async(group: group) {
                while let k = run.next() {
                    taken.add(k)
                    run.add(GenerationSummary(series: 1, barsScanned: 10, generated: 1, rejected: 2, publishedSeqs: [Int64(1_000 - k)]))
                }
            }
        }
        #expect(group.wait(timeout: .now() + 10) == .success)
        #expect(taken.indices.sorted() == Array(0..<1_000))
        let total = try run.result()
        #expect(total.series == 1_000 && total.barsScanned == 10_000 && total.generated == 1_000 && total.rejected == 2_000)
        #expect(total.publishedSeqs == (1...1_000).map(Int64.init))   // oldest first, whichever worker stored them

        let failing = SignalService.GenerationRun(count: 10)
        #expect(failing.next() == 0)
        failing.fail(Failed(series: 0))
        failing.fail(Failed(series: 1))
        #expect(failing.next() == nil)
        #expect(throws: Failed(series: 0)) { try failing.result() }
    }

    @Test func anImportYieldsItsHistoricalSignalsOnceAndTheyMatchTheEngine() throws {
        let s = try Self.service("sig_import")
        // What the pure engine says about the same file.
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Paths.data("bluefin_MSFT.csv"))))
        let bars = try OHLCVCSVReader.parse(bytes, options: CSVImportOptions(timeframe: .d1, localTimeZone: .utc)).bars
        let expected = SignalEngine().run(PriceSeries(bars), info: SeriesInfo(symbol: "MSFT", timeframe: .d1, assetClass: .equity, calendar: NYSECalendar()))
        let all = try s.get("/api/v1/signals?symbol=MSFT&status=all&limit=500")
        #expect(all.status == 200)
        let funnel = try s.get("/api/v1/signals/funnel?timeframe=1d").json
        #expect(funnel["candidates"] as? Int == expected.count)
        #expect(funnel["published"] as? Int == expected.filter(\.published).count)
        // Each listed signal's layers and bar, as stored and rendered, are the engine's, value for value
        // (Foundation's JSON reader may round a double's last digit).
        let byKey = Dictionary(expected.map { ("\(RFC3339.format($0.bar.timestamp))|\($0.strategy)", $0) }) { a, _ in a }
        let listed = Self.signals(all)
        #expect(listed.count == 500)
        func close(_ a: Double?, _ b: Double?) -> Bool {
            guard let a, let b else { return a == nil && b == nil }
            return abs(a - b) <= 1e-15 * max(1, abs(b))
        }
        for sig in listed {
            let made = try #require(byKey["\(sig["timestamp"] as? String ?? "")|\(sig["strategy"] as? String ?? "")"])
            let layers = try #require(sig["layers"] as? [[String: Any]])
            #expect(layers.map { $0["layer"] as? String } == made.layers.map(\.layer.rawValue))
            #expect(layers.map { $0["passed"] as? Bool } == made.layers.map(\.passed))
            #expect(layers.map { $0["detail"] as? String } == made.layers.map(\.detail))
            #expect(zip(layers, made.layers).allSatisfy { close($0["effect"] as? Double, $1.effect) && ($0["effect"] is NSNull) == ($1.effect == nil) })
            let bar = try #require(sig["bar"] as? [String: Any])
            #expect(bar["timestamp"] as? String == sig["timestamp"] as? String)
            #expect(close(bar["open"] as? Double, made.bar.open) && close(bar["high"] as? Double, made.bar.high)
                    && close(bar["low"] as? Double, made.bar.low) && close(bar["close"] as? Double, made.bar.close)
                    && close(bar["volume"] as? Double, made.bar.volume))
        }

        // Each id is the MD5 of its identity text, as PostgreSQL computes it (bars before 1970 included),
        // and the seqs taken for the COPY are the ones stored, one per signal.
        _ = try s.app.imports.importFile(path: Paths.data("bluefin_PG.csv"), symbol: NewSymbol(symbol: "PG", assetClass: .equity),
                                         timeframe: .d1, timeZone: .utc)
        let ids = try s.app.pool.withConnection { conn in
            try conn.query("""
                SELECT count(*)::int8, count(*) FILTER (WHERE ts < 'epoch')::int8, count(DISTINCT seq)::int8,
                       count(*) FILTER (WHERE id <> md5(symbol_id || '|' || timeframe || '|' || extract(epoch FROM ts)::int8
                                                        || '|' || strategy || '|' || params)::uuid)::int8
                FROM signals
                """, []).first
        }
        let (stored, before1970, distinctSeqs, wrongIDs): (Int64, Int64, Int64, Int64) =
            (try ids?.decode(0) ?? 0, try ids?.decode(1) ?? 0, try ids?.decode(2) ?? 0, try ids?.decode(3) ?? -1)
        #expect(stored > Int64(expected.count) && before1970 > 0 && distinctSeqs == stored && wrongIDs == 0)

        // Generating again creates nothing new.
        let again = try s.postJSON("/api/v1/signals/generate", #"{"symbols":["MSFT"],"timeframe":"1d"}"#)
        #expect(again.status == 200)
        #expect(again.json["generated"] as? Int == 0 && again.json["rejected"] as? Int == 0)
        // Even with the scan mark lost, a rescan stores nothing twice (the COPY meets the unique key and
        // the merging insert skips what exists).
        _ = try s.app.pool.withConnection { try $0.execute("DELETE FROM signal_scans") }
        let rescan = try s.postJSON("/api/v1/signals/generate", #"{"symbols":["MSFT"]}"#)
        #expect(rescan.status == 200 && rescan.json["generated"] as? Int == 0 && rescan.json["rejected"] as? Int == 0)
        #expect(rescan.json["bars_scanned"] as? Int == 8_761)

        // The newest published signal is the engine's newest, with the same numbers.
        let newest = try #require(expected.filter(\.published).max { $0.bar.timestamp < $1.bar.timestamp })
        let page = try s.get("/api/v1/signals?symbol=MSFT&status=expired&limit=5")
        let first = try #require(Self.signals(page).first)
        #expect(first["timestamp"] as? String == RFC3339.format(newest.bar.timestamp))
        // (Foundation's JSON reader may round the last digit.) The newest signal is still open (its horizon
        // runs past the last bar), so the calibration fitted after the import rescored it: its confidence is
        // the engine's until then, and the history says what changed it.
        let breakdownRaw = (first["confidence_breakdown"] as? [String: Any])?["raw"] as? Double ?? -1
        #expect(abs(breakdownRaw - newest.confidence.raw) < 1e-12)
        let history = try s.get("/api/v1/signals/\(first["id"] as? String ?? "")").json["confidence_history"] as? [[String: Any]] ?? []
        if let last = history.last {
            #expect(abs((history.first?["old"] as? Double ?? -1) - newest.confidence.calibrated) < 1e-12)
            #expect(abs((first["confidence"] as? Double ?? -1) - (last["new"] as? Double ?? -2)) < 1e-12)
            #expect((first["confidence_breakdown"] as? [String: Any])?["calibration_version"] as? Int == last["calibration_version"] as? Int)
        } else {
            #expect(abs((first["confidence"] as? Double ?? -1) - newest.confidence.calibrated) < 1e-12)
        }
        #expect(first["entry_price"] as? Double == newest.entryPrice && first["price"] as? Double == newest.entryPrice)
        #expect(first["reason"] as? String == first["reasoning"] as? String)
        #expect(first["action"] as? String == (newest.direction == .long ? "BUY" : "SELL"))
        #expect((first["layers"] as? [[String: Any]])?.count == 8)
        // Scored after the import: the automatic outcome, with no client report.
        let outcome = try #require(first["outcome"] as? [String: Any])
        #expect(outcome["provisional"] is Bool && (outcome["client_reports"] as? [Any])?.isEmpty == true)

        // The id is the MD5 of the signal's identity, as PostgreSQL's md5()::uuid computes it.
        let identity = "\(try #require(try s.app.symbols.find("MSFT")).id)|1d|\(newest.bar.timestamp)|\(newest.strategy)|\(newest.parameters)"
        let md5 = try s.app.pool.withConnection { try $0.query("SELECT md5($1)::uuid::text", [identity]).first?.decode(0, as: String.self) }
        #expect(first["id"] as? String == md5)
    }

    @Test func listingFiltersPagesAndCaches() throws {
        let s = try Self.service("sig_list", importing: [("bluefin_MSFT.csv", "MSFT"), ("bt_orcl-1995-2014.txt", "ORCL")])
        // Historical data: nothing is active now, and the answer says why.
        let active = try s.get("/api/v1/signals")
        #expect(active.status == 200 && Self.signals(active).isEmpty)
        #expect((active.json["reason"] as? String)?.contains("status=expired") == true)

        // Paging newest first over every published signal (historical: each is expired or, with a final
        // win or loss, closed): no gaps, no repeats.
        var seen: [String] = []
        for status in ["expired", "closed"] {
            let listed = try Self.allSignals(s, "status=\(status)", pageSize: 200)
            seen += listed.map { $0["id"] as! String }
            let times = listed.map { $0["timestamp"] as! String }
            #expect(listed.allSatisfy { $0["status"] as? String == status })
            #expect(times == times.sorted(by: >))
        }
        let funnel = try s.get("/api/v1/signals/funnel").json
        #expect(seen.count == funnel["published"] as? Int)
        #expect(Set(seen).count == seen.count)

        // Filters.
        let orcl = Self.signals(try s.get("/api/v1/signals?symbol=orcl&status=expired&strategy=rsi_reversion&direction=long&min_confidence=0.55&limit=500"))
        #expect(!orcl.isEmpty)
        #expect(orcl.allSatisfy { $0["symbol"] as? String == "ORCL" && $0["strategy"] as? String == "rsi_reversion"
            && $0["direction"] as? String == "long" && ($0["confidence"] as? Double ?? 0) >= 0.55 })
        let filtered = Self.signals(try s.get("/api/v1/signals?status=filtered&limit=50"))
        #expect(filtered.count == 50 && filtered.allSatisfy { $0["status"] as? String == "filtered" && $0["rejected_by"] is String })
        let since = Self.signals(try s.get("/api/v1/signals?status=expired&since=2014-01-01&limit=500"))
        #expect(!since.isEmpty && since.allSatisfy { ($0["timestamp"] as! String) >= "2014-01-01" })
        // as_of before the signals were made: the API said nothing then.
        #expect(Self.signals(try s.get("/api/v1/signals?status=all&as_of=2020-01-01")).isEmpty)

        // The frontend's route is the same list.
        let a = try s.get("/api/v1/signals?symbol=ORCL&status=all&limit=20")
        let b = try s.get("/api/v1/signals/symbol/ORCL?status=all&limit=20")
        #expect(a.text == b.text)

        // ETag and 304.
        let etag = try #require(a.header("ETag"))
        let cached = try s.get("/api/v1/signals?symbol=ORCL&status=all&limit=20", headers: [("If-None-Match", etag)])
        #expect(cached.status == 304 && cached.body.isEmpty)

        // gzip over the wire for clients that accept it (curl decodes it here): the same JSON, a
        // fraction of the bytes, its own tag; a client that asks for identity gets the JSON as it is.
        let path = "/api/v1/signals?status=all&limit=200"
        let identity = try s.get(path, headers: [("Accept-Encoding", "identity")])
        let gz = try s.get(path, headers: [("Accept-Encoding", "gzip")])
        #expect(identity.header("Content-Encoding") == nil && gz.header("Content-Encoding") == "gzip")
        #expect(gz.body == identity.body && Self.signals(gz).count == 200)
        #expect((Int(gz.header("Content-Length") ?? "") ?? .max) < identity.body.count / 4)
        #expect(gz.header("ETag") != identity.header("ETag"))
        #expect(try s.get(path, headers: [("Accept-Encoding", "gzip"), ("If-None-Match", gz.header("ETag") ?? "")]).status == 304)
    }

    /// Lists across symbols that include filtered candidates (read series by series since 0020) are exactly
    /// the symbols' own lists merged newest first (bar time, then id), page after page, with every filter.
    @Test func listsWithFilteredCandidatesAcrossSymbolsMergeEverySeries() throws {
        let s = try Self.service("sig_merge", importing: [("bluefin_MSFT.csv", "MSFT"), ("bt_orcl-1995-2014.txt", "ORCL")])
        let funnel = try s.get("/api/v1/signals/funnel").json
        let candidates = try #require(funnel["candidates"] as? Int), published = try #require(funnel["published"] as? Int)
        for filters in ["status=all", "status=filtered", "status=all&timeframe=1d&strategy=macd_cross&direction=short",
                        "status=filtered&min_confidence=0.3&since=2005-03-01"] {
            // (bar time, id) of each signal listed.
            func keys(_ query: String) throws -> [(String, String)] {
                try Self.allSignals(s, query).map { ($0["timestamp"] as! String, $0["id"] as! String) }
            }
            let merged = try keys(filters)
            let bySymbol = try ["MSFT", "ORCL"].flatMap { try keys("symbol=\($0)&" + filters) }
            #expect(!merged.isEmpty, "\(filters)")
            #expect(merged.map(\.1) == bySymbol.sorted { ($0.0, $0.1) > ($1.0, $1.1) }.map(\.1), "\(filters)")
            if filters == "status=all" { #expect(merged.count == candidates) }
            if filters == "status=filtered" { #expect(merged.count == candidates - published) }
        }
        #expect(try Self.allSignals(s, "status=all&timeframe=1h").isEmpty)
    }

    @Test func badParametersAreNamed() throws {
        let s = try Self.service("sig_bad", importing: [])
        let r = try s.get("/api/v1/signals?status=open&limit=501&min_confidence=2&strategy=magic&direction=up&since=yesterday&cursor=abc")
        #expect(r.status == 400)
        #expect(r.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        let fields = Set((r.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
        #expect(fields == ["status", "limit", "min_confidence", "strategy", "direction", "since", "cursor"])
        #expect(try s.get("/api/v1/signals/not-a-uuid").status == 400)
        #expect(try s.get("/api/v1/signals/6f1c1a52-0000-4000-8000-000000000000").status == 404)
        #expect(try s.get("/api/v1/signals?symbol=NOPE").status == 404)
        #expect(try s.get("/api/v1/signals?symbol=a%27%3B%20drop%20table%20signals").status == 400)
        // A forged cursor (valid encoding, SQL in it) is refused, not run.
        let forged = Data("g1:0:x' OR 1=1 --".utf8).base64EncodedString()
        #expect(try s.get("/api/v1/signals?cursor=\(forged)").status == 400)
        let gen = try s.postJSON("/api/v1/signals/generate", #"{"symbols":["MSFT", 7],"timeframe":"2d","x":1}"#)
        #expect(gen.status == 400)
        let genFields = Set((gen.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
        #expect(genFields == ["symbols[1]", "timeframe", "x"])
        #expect(try s.postJSON("/api/v1/signals/generate", #"{"symbols":["ZZZZ"]}"#).status == 404)
        #expect(try s.get("/api/v1/signals/stream?timeframe=9x").status == 400)
    }

    @Test func oneSignalWithItsLayersAndHistory() throws {
        let s = try Self.service("sig_one")
        let list = Self.signals(try s.get("/api/v1/signals?status=filtered&limit=1"))
        let id = try #require(list.first?["id"] as? String)
        let r = try s.get("/api/v1/signals/\(id.uppercased())")
        #expect(r.status == 200)
        #expect(r.json["id"] as? String == id)
        #expect(r.json["status"] as? String == "filtered")
        let layers = try #require(r.json["layers"] as? [[String: Any]])
        #expect(layers.map { $0["layer"] as? String ?? "" } == Layer.allCases.map(\.rawValue))
        let failed = layers.first { $0["passed"] as? Bool == false }
        #expect(failed?["layer"] as? String == r.json["rejected_by"] as? String)
        #expect(r.json["confidence_history"] as? [Any] != nil)
        #expect((r.json["bar"] as? [String: Any])?["close"] as? Double == r.json["entry_price"] as? Double)
    }

    @Test func uploadedBarsAreScannedAndRevisedBarsDoNotRewriteSignals() throws {
        let s = try Self.service("sig_upload")
        let before = try s.get("/api/v1/signals/funnel").json["candidates"] as? Int ?? 0
        let newest = try #require(Self.signals(try s.get("/api/v1/signals?status=all&limit=1")).first)
        // Revise the bar that signal was made on: the stored signal keeps the values it used.
        let ts = newest["timestamp"] as! String
        let bar = newest["bar"] as! [String: Any]
        let revised = #"{"bars":[{"timestamp":"\#(ts)","open":1,"high":2,"low":0.5,"close":1.5,"volume":10}]}"#
        #expect(try s.postJSON("/api/v1/market-data/MSFT/bars?timeframe=1d", revised).status == 200)
        let again = try s.get("/api/v1/signals/\(newest["id"] as! String)").json
        #expect((again["bar"] as? [String: Any])?["close"] as? Double == bar["close"] as? Double)
        // Sixty new bars after the history: generation runs on upload and only scans them.
        var rows: [String] = []
        var price = 100.0
        for k in 1...60 {
            price *= k < 30 ? 0.98 : 1.03
            let t = RFC3339.format(1_607_904_000 + Int64(k) * 86_400)   // from 2020-12-14
            rows.append(#"{"timestamp":"\#(t)","open":\#(price),"high":\#(price * 1.01),"low":\#(price * 0.99),"close":\#(price),"volume":30000000}"#)
        }
        let up = try s.postJSON("/api/v1/market-data/MSFT/bars?timeframe=1d", #"{"bars":[\#(rows.joined(separator: ","))]}"#)
        #expect(up.status == 200)
        let after = try s.get("/api/v1/signals/funnel").json["candidates"] as? Int ?? 0
        #expect(after > before)
        let latest = try #require(Self.signals(try s.get("/api/v1/signals?status=all&limit=1")).first)
        #expect((latest["timestamp"] as! String) > "2020-12-13")
        // The series registry moved with the upload: its last bar is the uploaded one, its first the file's.
        let span = try s.app.pool.withConnection {
            try $0.query("SELECT extract(epoch FROM first_ts)::int8, extract(epoch FROM last_ts)::int8 FROM bar_series", [])
        }
        #expect(span.count == 1)
        #expect(try span.first?.decode(1, as: Int64.self) == 1_607_904_000 + 60 * 86_400)
        #expect(try span.first?.decode(0, as: Int64.self) == (try s.app.bars.all(symbolID: try #require(try s.app.symbols.find("MSFT")).id, timeframe: .d1).first?.timestamp))
    }

    @Test func theStreamDeliversSignalsMadeByAnotherReplicaAndResumes() throws {
        let a = try Self.service("sig_stream", importing: [])
        let b = try TestService(label: "sig_stream_b", databaseURL: a.app.configuration.databaseURL)
        let client = try SSEClient(port: b.port, path: "/api/v1/signals/stream?timeframe=1d")
        #expect(client.waitForHead() == 200)
        var waited = 0
        while b.app.signalStream.subscriberCount == 0 && waited < 100 { usleep(20_000); waited += 1 }
        // Replica A imports and generates; replica B's client hears of it through LISTEN/NOTIFY.
        _ = try a.app.imports.importFile(path: Paths.data("bt_orcl-1995-2014.txt"), symbol: NewSymbol(symbol: "ORCL", assetClass: .equity),
                                         timeframe: .d1, timeZone: .utc)
        let first = try #require(client.next())
        #expect(first.event == "signal")
        let id = try #require(first.id.flatMap { Int64($0) })
        let body = try JSONSerialization.jsonObject(with: Data(first.data.utf8)) as? [String: Any]
        #expect(body?["symbol"] as? String == "ORCL" && body?["status"] is String)
        let second = try #require(client.next())
        #expect(Int64(second.id ?? "") ?? 0 > id)

        // A client resuming after the first event gets the second one again from the database.
        let resumed = try SSEClient(port: b.port, path: "/api/v1/signals/stream?symbol=ORCL&timeframe=1d", headers: [("Last-Event-ID", String(id))])
        #expect(resumed.waitForHead() == 200)
        let replayed = try #require(resumed.next())
        #expect(replayed.id == second.id)

        // An empty Last-Event-ID header is no header; a garbage id is refused, naming where it came from.
        let fromQuery = try SSEClient(port: b.port, path: "/api/v1/signals/stream?symbol=ORCL&last_event_id=\(id)", headers: [("Last-Event-ID", "")])
        #expect(fromQuery.waitForHead() == 200)
        #expect(try #require(fromQuery.next()).id == second.id)
        let garbage = try b.get("/api/v1/signals/stream?last_event_id=%C2%84", headers: [("Last-Event-ID", "")])
        #expect(garbage.status == 400)
        #expect((garbage.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "last_event_id")
    }

    /// Two writers commit out of seq order (a series whose transaction is still open holds lower seqs than
    /// one committed after it): the stream and a resume started meanwhile still deliver every published
    /// signal, once each, in seq order.
    @Test func theStreamMissesNoSignalCommittedOutOfSeqOrder() throws {
        let s = try TestService(label: "sig_stream_order") { $0.generateOnArrival = false }
        for (file, symbol) in [("bluefin_MSFT.csv", "MSFT"), ("bt_orcl-1995-2014.txt", "ORCL")] {
            _ = try s.app.imports.importFile(path: Paths.data(file), symbol: NewSymbol(symbol: symbol, assetClass: .equity),
                                             timeframe: .d1, timeZone: .utc)
        }
        let live = try SSEClient(port: s.port, path: "/api/v1/signals/stream")
        #expect(live.waitForHead() == 200)
        var waited = 0
        while s.app.signalStream.subscriberCount == 0 && waited < 100 { usleep(20_000); waited += 1 }

        // MSFT's signals take seqs in a transaction left open; ORCL's take higher ones and commit.
        let msft = try #require(try s.app.symbols.find("MSFT")), orcl = try #require(try s.app.symbols.find("ORCL"))
        let open = try PostgresConnection.connect(try #require(s.app.configuration.databaseURL))
        defer { open.close() }
        try open.execute("BEGIN")
        let held = try s.app.signals.insert(try s.app.signalService.prepare(msft, timeframe: .d1).made, symbol: msft,
                                            timeframe: .d1, isDemo: false, on: open)
        let later = try s.app.signalService.generate(orcl, timeframe: .d1)
        #expect(!held.isEmpty && later.generated > 0)
        #expect(held.map { $0.seq }.min()! < later.publishedSeqs.min()!)
        usleep(300_000)
        let resumed = try SSEClient(port: s.port, path: "/api/v1/signals/stream", headers: [("Last-Event-ID", "0")])
        #expect(resumed.waitForHead() == 200)
        try open.execute("COMMIT")

        let expected = held.filter { $0.published }.map { $0.seq } + later.publishedSeqs
        for client in [live, resumed] {
            var got: [Int64] = []
            while got.count < expected.count, let e = client.next() {
                if e.event == "signal", let id = e.id.flatMap({ Int64($0) }) { got.append(id) }
            }
            #expect(got == expected.sorted())
        }
    }

    @Test func corsForTheFrontendOrigins() throws {
        let s = try Self.service("sig_cors", importing: [])
        let ok = try s.get("/api/v1/signals", headers: [("Origin", "http://localhost:5173")])
        #expect(ok.header("Access-Control-Allow-Origin") == "http://localhost:5173")
        let other = try s.get("/api/v1/signals", headers: [("Origin", "https://evil.example")])
        #expect(other.header("Access-Control-Allow-Origin") == nil)
        let preflight = try s.request("OPTIONS", "/api/v1/signals/generate", headers: [("Origin", "http://localhost:3000"),
                                                                                       ("Access-Control-Request-Method", "POST")])
        #expect(preflight.status == 204 && preflight.header("Access-Control-Allow-Origin") == "http://localhost:3000")
    }
}
