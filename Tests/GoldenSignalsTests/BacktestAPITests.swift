import Foundation
import GoldenSignals
import HTTPClient
import Market
import Testing

/// `/api/v1/backtests` on a real socket against real PostgreSQL: queue, progress, result, list, cancel, 400s.
@Suite(.serialized) struct BacktestAPITests {
    static func service() throws -> TestService {
        let s = try TestService(label: "backtests")
        for (file, symbol) in [("bluefin_MSFT.csv", "MSFT"), ("bt_orcl-1995-2014.txt", "ORCL")] {
            _ = try s.app.imports.importFile(path: Paths.data(file), symbol: NewSymbol(symbol: symbol, assetClass: .equity),
                                             timeframe: .d1, timeZone: .utc)
        }
        _ = try s.app.symbols.create(NewSymbol(symbol: "NOBARS", assetClass: .equity))
        return s
    }

    /// Polls a run until `done(run)` holds (or 120 s pass); the last state seen.
    static func wait(_ s: TestService, _ id: String, until done: ([String: Any]) -> Bool) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(120)
        var last: [String: Any] = [:]
        while Date() < deadline {
            last = try s.get("/api/v1/backtests/\(id)").json
            if done(last) { return last }
            usleep(20_000)
        }
        return last
    }

    @Test func aRunIsQueuedRunsAndKeepsItsConfigurationAndResult() throws {
        let s = try Self.service()
        let r = try s.postJSON("/api/v1/backtests", """
            {"symbols":["MSFT","ORCL"],"timeframe":"1d","from":"2000-01-01","to":"2010-12-31","strategies":["sma_crossover","macd_cross"],
             "signals":"candidates","initial_capital":100000,"sizing":{"mode":"fixed_fraction","fraction":0.2},
             "costs":{"commission_bps":5,"spread_bps":2},"slippage":{"model":"fixed_bps","bps":3},"scenarios":["flash_crash","slippage_x3"]}
            """)
        #expect(r.status == 202)
        let id = try #require(r.json["id"] as? String)
        #expect(r.json["status"] as? String == "queued")
        #expect(r.header("Location") == "/api/v1/backtests/\(id)")
        let run = try Self.wait(s, id) { ["done", "failed", "cancelled"].contains($0["status"] as? String ?? "") }
        #expect(run["status"] as? String == "done", "\(run["error"] ?? "")")
        #expect(run["progress"] as? Double == 1)
        #expect(run["code_version"] as? String == BacktestService.codeVersion)
        // The full configuration, defaults filled in, is stored with the run.
        let config = try #require(run["config"] as? [String: Any])
        #expect(config["symbols"] as? [String] == ["MSFT", "ORCL"] && config["fill"] as? String == "next_open")
        #expect((config["sizing"] as? [String: Any])?["fraction"] as? Double == 0.2)
        #expect(config["max_participation"] as? Double == 0.1 && config["use_stops"] as? Bool == true)
        #expect(config["from"] as? String == "2000-01-01T00:00:00Z")
        let result = try #require(run["result"] as? [String: Any])
        let baseline = try #require(result["baseline"] as? [String: Any])
        let scenarios = try #require(result["scenarios"] as? [String: Any])
        #expect(Set(scenarios.keys) == ["flash_crash", "slippage_x3"])
        #expect((scenarios["flash_crash"] as? [String: Any])?["label"] as? String
                == "scenario flash_crash: transformed real bars, not market data")
        let metrics = try #require(baseline["metrics"] as? [String: Any])
        for key in ["total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown", "max_drawdown_bars", "calmar", "win_rate",
                    "profit_factor", "expectancy", "exposure", "turnover", "costs_paid", "trades"] {
            #expect(metrics.keys.contains(key), "metrics.\(key)")
        }
        let equity = try #require(baseline["equity"] as? [[String: Any]])
        #expect(equity.first?["timestamp"] as? String == "2000-01-03T00:00:00Z")
        #expect(equity.last?["timestamp"] as? String == "2010-12-31T00:00:00Z")
        let trades = try #require(baseline["trades"] as? [[String: Any]])
        #expect(trades.count == metrics["trades"] as? Int && trades.count > 10)
        for t in trades {
            #expect(Set(t.keys).isSuperset(of: ["symbol", "strategy", "direction", "signal_id", "signal_time", "entry_time", "entry_price",
                                                "exit_time", "exit_price", "quantity", "exit_reason", "commission", "slippage", "pnl", "r_multiple"]))
            // Never filled before the bar after the signal.
            #expect((t["entry_time"] as? String ?? "") > (t["signal_time"] as? String ?? "~"))
        }
        // A trade's signal_id is the signal's id in /api/v1/signals (the import generated and stored them).
        for t in trades.prefix(5) {
            let signal = try s.get("/api/v1/signals/\(t["signal_id"] as? String ?? "-")")
            #expect(signal.status == 200)
            #expect(signal.json["strategy"] as? String == t["strategy"] as? String)
            #expect(signal.json["timestamp"] as? String == t["signal_time"] as? String)
        }
        // The same configuration run again gives the same result (reproducible from the stored config).
        let again = try s.postJSON("/api/v1/backtests", String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self))
        #expect(again.status == 202)
        let second = try Self.wait(s, try #require(again.json["id"] as? String)) { $0["status"] as? String == "done" }
        let b2 = (second["result"] as? [String: Any])?["baseline"] as? [String: Any]
        #expect((b2?["metrics"] as? [String: Any])?["total_return"] as? Double == metrics["total_return"] as? Double)

        // The list: newest first, cursor paging, no result documents.
        let page1 = try s.get("/api/v1/backtests?limit=1").json
        let first = try #require((page1["backtests"] as? [[String: Any]])?.first)
        #expect(first["id"] as? String == again.json["id"] as? String)
        #expect(first["result"] is NSNull)
        let cursor = try #require(page1["next_cursor"] as? String)
        let page2 = try s.get("/api/v1/backtests?limit=1&cursor=\(cursor)").json
        #expect((page2["backtests"] as? [[String: Any]])?.first?["id"] as? String == id)
        #expect(page2["next_cursor"] is NSNull)
        #expect(try s.get("/api/v1/backtests?cursor=nonsense").status == 400)

        // An ended run cannot be cancelled; an unknown one is not found.
        #expect(try s.request("DELETE", "/api/v1/backtests/\(id)").status == 409)
        #expect(try s.get("/api/v1/backtests/00000000-0000-0000-0000-000000000000").status == 404)
        #expect(try s.get("/api/v1/backtests/not-a-uuid").status == 404)
    }

    @Test func aRunningBacktestReportsProgressAndCanBeCancelled() throws {
        let s = try Self.service()
        let r = try s.postJSON("/api/v1/backtests", """
            {"symbols":["MSFT","ORCL"],"timeframe":"1d","strategies":["sma_crossover","macd_cross","rsi_reversion","bollinger_reversion",
             "momentum_adx","volume_breakout","stochastic_cross"],
             "scenarios":["flash_crash","volatility_x2","gap_down","liquidity_drought","slippage_x3"]}
            """)
        #expect(r.status == 202)
        let id = try #require(r.json["id"] as? String)
        let running = try Self.wait(s, id) { ($0["status"] as? String) != "queued" && ($0["progress"] as? Double ?? 0) > 0 }
        #expect(running["status"] as? String == "running", "the run ended before it could be seen running: \(running["status"] ?? "")")
        let p = running["progress"] as? Double ?? 0
        #expect(p > 0 && p < 1)
        let cancel = try s.request("DELETE", "/api/v1/backtests/\(id)")
        #expect(cancel.status == 202)
        #expect(cancel.json["cancel_requested"] as? Bool == true)
        let ended = try Self.wait(s, id) { ($0["status"] as? String) != "running" }
        #expect(ended["status"] as? String == "cancelled")
        #expect(ended["result"] is NSNull)
        // A queued run is cancelled at once: stop the workers so that it stays queued.
        s.app.backtests.stop()
        usleep(50_000)
        let queued = try s.postJSON("/api/v1/backtests", #"{"symbols":["MSFT"],"timeframe":"1d"}"#)
        let qid = try #require(queued.json["id"] as? String)
        let c2 = try s.request("DELETE", "/api/v1/backtests/\(qid)")
        #expect(c2.status == 202 && c2.json["status"] as? String == "cancelled")
    }

    @Test func aRunLeftRunningByAStoppedProcessIsRunAgain() throws {
        let s = try Self.service()
        // A run claimed by a process that stopped: running, its last progress report an hour ago.
        let run = try s.app.backtests.store.create(config: #"{"symbols":["ORCL"],"timeframe":"1d","strategies":["sma_crossover"]}"#,
                                                   codeVersion: BacktestService.codeVersion, owner: nil)
        try s.app.pool.withConnection { conn in
            _ = try conn.query("UPDATE backtests SET status = 'running', started_at = now() - interval '1 hour', heartbeat_at = now() - interval '1 hour' WHERE id = $1::uuid", [run.id])
        }
        let ended = try Self.wait(s, run.id) { $0["status"] as? String == "done" }
        #expect(ended["status"] as? String == "done")
        #expect((ended["result"] as? [String: Any])?["baseline"] != nil)
    }

    @Test func invalidRequestsAnswer400NamingEachField() throws {
        let s = try Self.service()
        let r = try s.postJSON("/api/v1/backtests", """
            {"symbols":[],"timeframe":"2d","strategies":["nope"],"min_confidence":3,"sizing":{"mode":"fixed_fraction","fraction":2},
             "costs":{"spread_bps":-1,"tips":1},"slippage":{"model":"magic"},"max_participation":0,"fill":"yesterday",
             "scenarios":["meteor"],"from":"soon","colour":"red"}
            """)
        #expect(r.status == 400)
        #expect(r.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        let fields = Set(((r.json["errors"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String })
        #expect(fields == ["symbols", "timeframe", "strategies", "min_confidence", "sizing.fraction", "costs.spread_bps", "costs.tips",
                           "slippage.model", "max_participation", "fill", "scenarios", "from", "colour"])
        // Symbols are checked against the store: unknown, and known without bars of the timeframe.
        let u = try s.postJSON("/api/v1/backtests", #"{"symbols":["ZZZZ","NOBARS"],"timeframe":"1d"}"#)
        #expect(u.status == 400)
        let messages = ((u.json["errors"] as? [[String: Any]]) ?? []).compactMap { $0["message"] as? String }
        #expect(messages == ["'ZZZZ' is not a known symbol", "'NOBARS' has no 1d bars"])
        #expect(try s.postJSON("/api/v1/backtests", "[1]").status == 400)
        #expect(try s.postJSON("/api/v1/backtests", "{").status == 400)
        // Nothing was stored.
        #expect((try s.get("/api/v1/backtests").json["backtests"] as? [Any])?.isEmpty == true)
    }
}
