import Foundation
import GoldenSignals
import HTTPClient
import Market
import Postgres
import Signals
import Testing

/// Outcomes, calibration and the quality report end to end, on real files.
@Suite(.serialized) struct OutcomeAPITests {
    static let dailyFiles: [(String, String)] = [
        ("bluefin_AAPL.csv", "AAPL"), ("bluefin_JPM.csv", "JPM"), ("bluefin_MSFT.csv", "MSFT"), ("bluefin_PG.csv", "PG"),
        ("bluefin_QQQ.csv", "QQQ"), ("bluefin_TSLA.csv", "TSLA"), ("bluefin_VIV.csv", "VIV"),
        ("mplf_yahoofinance-SPY-20080101-20180101.csv", "SPY"), ("bt_orcl-1995-2014.txt", "ORCL"),
        ("pta_SPY_D.csv", "SPYP"), ("bestdaybtc_BTC-USD.csv", "BTC-USD"),
    ]

    /// Every daily file imported, then generated, then evaluated (the issue's order).
    @Test func realDataIsScoredAndCalibratedOutOfSample() throws {
        let s = try TestService(label: "outcome_real") { $0.generateOnArrival = false }
        for (file, symbol) in Self.dailyFiles {
            _ = try s.app.imports.importFile(path: Paths.data(file), symbol: NewSymbol(symbol: symbol, assetClass: AssetClass.infer(fromSymbol: symbol)),
                                             timeframe: .d1, timeZone: .utc)
        }
        let generated = try s.app.signalService.generate()
        let first = try s.app.outcomeService.evaluate()
        #expect(first.ran && first.finalized > 0 && first.versionsFitted > 0)
        print("evaluate: \(first.series) series, \(first.finalized) finalized, \(first.provisional) provisional, \(first.versionsFitted) versions, newest v\(first.latestVersion), \(first.rescored) rescored, drift \(first.driftRecorded); generated \(generated.generated) published, \(generated.rejected) filtered")

        // A second run scores nothing twice and fits nothing new.
        let second = try s.app.outcomeService.evaluate()
        #expect(second.finalized == 0 && second.versionsFitted == 0)
        let finals = try s.app.pool.withConnection {
            try $0.query("SELECT count(*)::int8, count(*) FILTER (WHERE published)::int8 FROM signal_outcomes WHERE final", []).first!
        }
        #expect(try finals.decode(0, as: Int64.self) == Int64(first.finalized))

        let r = try s.get("/api/v1/signals/quality?timeframe=1d")
        #expect(r.status == 200)
        let overall = try #require(r.json["overall"] as? [String: Any])
        let n = overall["n"] as? Int ?? 0
        #expect(n >= 500)
        #expect(n == Int(try finals.decode(1, as: Int64.self)))
        let eceRaw = overall["ece_raw"] as! Double, eceCal = overall["ece_calibrated"] as! Double
        let brierRaw = overall["brier_raw"] as! Double, brierCal = overall["brier_calibrated"] as! Double
        print("real data: n \(n), hit rate \(overall["hit_rate"]!), ECE raw \(eceRaw) calibrated \(eceCal), Brier raw \(brierRaw) calibrated \(brierCal), log loss \(overall["log_loss_calibrated"]!), avg return \(overall["avg_return"]!), avg R \(overall["avg_r"]!), version \(r.json["calibration_version"]!)")
        #expect(eceCal <= eceRaw)
        #expect(brierCal <= brierRaw)
        let byStrategy = try #require(r.json["by_strategy"] as? [[String: Any]])
        for g in byStrategy {
            print("  \(g["strategy"]!) \(g["timeframe"]!): n \(g["n"]!), hit \(g["hit_rate"]!), ECE \(g["ece_raw"]!) → \(g["ece_calibrated"]!), Brier \(g["brier_raw"]!) → \(g["brier_calibrated"]!), PF \(g["profit_factor"]!)")
        }
        #expect(Set(byStrategy.compactMap { $0["strategy"] as? String }) == Set(Strategies.names))
        #expect(byStrategy.allSatisfy { !(($0["buckets"] as? [[String: Any]]) ?? []).isEmpty })
        for b in byStrategy.flatMap({ $0["buckets"] as? [[String: Any]] ?? [] }) {
            let lo = b["ci_low"] as! Double, hi = b["ci_high"] as! Double, rate = b["hit_rate"] as! Double
            #expect(lo <= rate && rate <= hi)
        }
        let layers = try #require(r.json["by_layer"] as? [[String: Any]])
        #expect(layers.map { $0["layer"] as? String ?? "" } == Layer.allCases.map(\.rawValue))
        #expect(layers.reduce(0) { $0 + ($1["rejected"] as? Int ?? 0) } > 0)
        print("  by layer: " + layers.map { "\($0["layer"]!) rejected \($0["rejected"]!) (hit \($0["rejected_hit_rate"]!)) passed hit \($0["passed_hit_rate"]!)" }.joined(separator: "; "))

        // The same figures from scikit-learn over the same (confidence, hit) pairs.
        try Self.compareWithScikitLearn(s, overall: overall)

        // Filters and their validation.
        let one = try s.get("/api/v1/signals/quality?strategy=rsi_reversion&from=2000-01-01&to=2010-12-31").json
        #expect((one["by_strategy"] as? [[String: Any]])?.allSatisfy { $0["strategy"] as? String == "rsi_reversion" } == true)
        let bad = try s.get("/api/v1/signals/quality?timeframe=2d&strategy=magic&from=x&to=y")
        #expect(bad.status == 400)
        #expect(Set((bad.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }) == ["timeframe", "strategy", "from", "to"])

        // Statuses from outcomes: a closed signal has a final win or loss.
        let closed = SignalAPITests.signals(try s.get("/api/v1/signals?status=closed&limit=100"))
        #expect(!closed.isEmpty)
        for c in closed {
            let o = try #require(c["outcome"] as? [String: Any])
            #expect(c["status"] as? String == "closed" && o["provisional"] as? Bool == false)
            #expect(["win", "loss"].contains(o["result"] as? String ?? ""))
        }
    }

    /// Writes the published final outcomes' (raw, calibrated, hit) the way the report computes them and
    /// lets scikit-learn compute Brier, the reliability curve and ECE.
    static func compareWithScikitLearn(_ s: TestService, overall: [String: Any]) throws {
        let python = Paths.repository + "/.build/pyenv/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            Issue.record("no Python at \(python): run scripts/python-deps.sh")
            return
        }
        let set = try s.app.outcomes.calibrationSet()
        let rows = try s.app.pool.withConnection {
            try $0.query("""
                SELECT strategy, timeframe, extract(epoch FROM signal_ts)::int8, confidence_input, hit FROM signal_outcomes
                WHERE final AND published
                """, [])
        }
        var csv = "raw,cal,hit\n"
        var cal: [ScoredPoint] = []
        for row in rows {
            let p: Double = try row.decode(3)
            let c = set.calibrate(try row.decode(0), Timeframe(rawValue: try row.decode(1))!, at: try row.decode(2), p).0
            let hit: Bool = try row.decode(4)
            csv += "\(p),\(c),\(hit ? 1 : 0)\n"
            cal.append(ScoredPoint(p: c, hit: hit))
        }
        let path = NSTemporaryDirectory() + "gs_outcomes_\(getpid()).csv"
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let script = """
            import json, sys, numpy as np
            from sklearn.calibration import calibration_curve
            from sklearn.metrics import brier_score_loss
            d = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)
            out = {}
            for name, col in (("raw", 0), ("cal", 1)):
                p, y = d[:, col], d[:, 2]
                bins = np.linspace(0.0, 1.0, 11)
                ids = np.searchsorted(bins[1:-1], p)
                counts = np.bincount(ids, minlength=10)
                true, pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
                nz = counts[counts > 0]
                out[name] = {"brier": float(brier_score_loss(y, p)), "ece": float(np.sum(nz * np.abs(true - pred)) / len(p)),
                             "true": true.tolist(), "pred": pred.tolist(), "counts": nz.tolist()}
            print(json.dumps(out))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let ref = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        let tol = 1e-9
        #expect(abs((ref["raw"]?["brier"] as? Double ?? -1) - (overall["brier_raw"] as! Double)) < tol)
        #expect(abs((ref["cal"]?["brier"] as? Double ?? -1) - (overall["brier_calibrated"] as! Double)) < tol)
        #expect(abs((ref["raw"]?["ece"] as? Double ?? -1) - (overall["ece_raw"] as! Double)) < tol)
        #expect(abs((ref["cal"]?["ece"] as? Double ?? -1) - (overall["ece_calibrated"] as! Double)) < tol)
        // The reliability curve bin by bin.
        let buckets = Metrics.reliability(cal)
        let trueRates = ref["cal"]?["true"] as? [Double] ?? [], predicted = ref["cal"]?["pred"] as? [Double] ?? []
        #expect(buckets.count == trueRates.count)
        for (b, (t, p)) in zip(buckets, zip(trueRates, predicted)) {
            #expect(abs(b.hitRate - t) < tol && abs(b.meanConfidence - p) < tol)
        }
        print("scikit-learn agrees: Brier \(ref["cal"]?["brier"] ?? 0), ECE \(ref["cal"]?["ece"] ?? 0) over \(cal.count) outcomes")
    }

    @Test func clientReportsAreIdempotentAndKeptBesideTheAutomaticOutcome() throws {
        let s = try SignalAPITests.service("outcome_report")
        let signal = try #require(SignalAPITests.signals(try s.get("/api/v1/signals?status=closed&limit=1")).first)
        let id = try #require(signal["id"] as? String)
        let automatic = try #require(signal["outcome"] as? [String: Any])
        #expect(automatic["provisional"] as? Bool == false)
        let body = #"{"result":"win","exit_price":123.5,"closed_at":"2020-01-02T15:00:00Z","notes":"took half"}"#
        func post(_ json: String, key: String?, to target: String = id) throws -> HTTPClientResponse {
            var headers = [("Content-Type", "application/json")]
            if let key { headers.append(("Idempotency-Key", key)) }
            return try s.request("POST", "/api/v1/signals/\(target)/outcome", body: json, headers: headers)
        }
        let created = try post(body, key: "trade-1")
        #expect(created.status == 201)
        #expect(created.json["result"] as? String == "win" && created.json["exit_price"] as? Double == 123.5)
        let replay = try post(body, key: "trade-1")
        #expect(replay.status == 201 && replay.header("Idempotent-Replayed") == "true")
        #expect(replay.json["id"] as? Int == created.json["id"] as? Int && replay.json["reported_at"] as? String == created.json["reported_at"] as? String)
        #expect(try post(#"{"result":"loss"}"#, key: "trade-1").status == 422)
        #expect(try post(#"{"result":"breakeven"}"#, key: "trade-2").status == 201)
        let bad = try post(#"{"result":"maybe","exit_price":-1,"closed_at":"soon","notes":7,"size":3}"#, key: nil)
        #expect(bad.status == 400)
        #expect(Set((bad.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
                == ["Idempotency-Key", "result", "exit_price", "closed_at", "notes", "size"])
        #expect(try post(body, key: "k", to: "6f1c1a52-0000-4000-8000-000000000000").status == 404)
        #expect(try post(body, key: "k", to: "nope").status == 400)

        // The signal shows both reports beside its unchanged automatic outcome.
        let detail = try s.get("/api/v1/signals/\(id)").json
        let outcome = try #require(detail["outcome"] as? [String: Any])
        #expect(outcome["result"] as? String == automatic["result"] as? String)
        let reports = try #require(outcome["client_reports"] as? [[String: Any]])
        #expect(reports.map { $0["result"] as? String ?? "" } == ["win", "breakeven"])
        #expect(reports[0]["closed_at"] as? String == "2020-01-02T15:00:00Z" && reports[0]["notes"] as? String == "took half")
    }

    @Test func aNewCalibrationRescoresOpenSignalsAndTheStreamSaysSo() throws {
        let s = try SignalAPITests.service("outcome_rescore")
        // Make the newest published signal open again: drop the bars after it and its outcome.
        let newest = try #require(SignalAPITests.signals(try s.get("/api/v1/signals?status=all&limit=200"))
            .first { $0["status"] as? String != "filtered" })
        let id = newest["id"] as! String
        let before = try s.app.pool.withConnection {
            try $0.query("SELECT confidence FROM signals WHERE id = $1::uuid", [id]).first!.decode(0, as: Double.self)
        }
        _ = try s.app.pool.withConnection { conn in
            try conn.execute("DELETE FROM bars WHERE ts > (SELECT ts FROM signals WHERE id = '\(id)')")
            try conn.execute("DELETE FROM signal_outcomes WHERE signal_id = '\(id)'")
            // As if the signal had been made before the newest calibration version: forget that version
            // (the next evaluation fits it again) and the signal's rescoring by it.
            try conn.execute("DELETE FROM signal_confidence_history WHERE signal_id = '\(id)'")
            try conn.execute("DELETE FROM calibrations WHERE version = (SELECT max(version) FROM calibrations)")
        }
        let client = try SSEClient(port: s.port, path: "/api/v1/signals/stream?symbol=MSFT")
        #expect(client.waitForHead() == 200)
        var waited = 0
        while s.app.signalStream.subscriberCount == 0 && waited < 100 { usleep(20_000); waited += 1 }

        let run = try s.app.outcomeService.evaluate()
        #expect(run.versionsFitted >= 1 && run.rescored >= 1)
        let detail = try s.get("/api/v1/signals/\(id)").json
        #expect((detail["outcome"] as? [String: Any])?["provisional"] as? Bool == true)
        #expect(detail["status"] as? String != "closed")
        let history = try #require(detail["confidence_history"] as? [[String: Any]])
        let last = try #require(history.last)
        #expect(abs((last["old"] as? Double ?? -1) - before) < 1e-12)
        #expect(last["calibration_version"] as? Int == run.latestVersion)
        #expect((last["reason"] as? String)?.hasPrefix("calibration v") == true)
        #expect(abs((detail["confidence"] as? Double ?? -1) - (last["new"] as? Double ?? -2)) < 1e-12)
        #expect((detail["confidence_breakdown"] as? [String: Any])?["calibration_version"] as? Int == run.latestVersion)

        var event: SSEClient.Event?
        for _ in 0..<5 {
            guard let e = client.next() else { break }
            if e.event == "signal.rescored" { event = e; break }
        }
        let e = try #require(event)
        let data = try JSONSerialization.jsonObject(with: Data(e.data.utf8)) as? [String: Any]
        #expect(data?["symbol"] as? String == "MSFT" && data?["calibration_version"] as? Int == run.latestVersion)

        // Another run changes nothing: no version, no rescoring, nothing scored twice.
        let again = try s.app.outcomeService.evaluate()
        #expect(again.versionsFitted == 0 && again.rescored == 0 && again.finalized == 0)
    }

    @Test func calibrationDriftIsRecordedAndTriggersARefit() throws {
        let s = try SignalAPITests.service("outcome_drift")
        let latest = try #require(try s.app.outcomes.calibrationSet().latest)
        // 200 outcomes of the calibration sample turn out, finalized together long after the newest version, to be misses
        // (a market that changed): the newest version's error on them is far above its error at fit time.
        _ = try s.app.pool.withConnection { conn in
            try conn.execute("""
                UPDATE signal_outcomes SET hit = false, finalized_at = (SELECT max(finalized_at) FROM signal_outcomes) + interval '10 years'
                WHERE signal_id IN (SELECT signal_id FROM signal_outcomes WHERE final AND calibration_sample
                                    ORDER BY confidence_input DESC LIMIT 200)
                """)
        }
        let run = try s.app.outcomeService.evaluate()
        #expect(run.driftRecorded && run.latestVersion > latest.version)
        let drift = try s.app.pool.withConnection {
            try $0.query("SELECT version, n, ece_fit, ece_recent, threshold, refit_version FROM calibration_drift", [])
        }
        #expect(drift.count == 1)
        let row = try #require(drift.first)
        #expect(try row.decode(1, as: Int64.self) == 200)
        #expect(try row.decode(3, as: Double.self) - row.decode(2, as: Double.self) > OutcomeService.driftThreshold)
        #expect(try row.decode(5, as: Int64.self) == Int64(run.latestVersion))
        let reason = try s.app.pool.withConnection {
            try $0.query("SELECT DISTINCT reason FROM calibrations WHERE version = $1", [run.latestVersion]).first?.decode(0, as: String.self)
        }
        #expect(reason == "drift")
        // The refit covered them: the next run records no drift.
        #expect(try s.app.outcomeService.evaluate().driftRecorded == false)
    }

    @Test func onlyOneReplicaEvaluatesAtATime() throws {
        let s = try SignalAPITests.service("outcome_lock", importing: [])
        let other = try PostgresConnection.connect(s.app.configuration.databaseURL!)
        defer { other.close() }
        _ = try other.query("SELECT pg_advisory_lock($1)", [Int64(0x6753_4556_414C_5541)])
        #expect(try s.app.outcomeService.evaluate().ran == false)
        _ = try other.query("SELECT pg_advisory_unlock($1)", [Int64(0x6753_4556_414C_5541)])
        #expect(try s.app.outcomeService.evaluate().ran == true)
    }
}
