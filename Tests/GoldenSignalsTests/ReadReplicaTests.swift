import Foundation
@testable import GoldenSignals
import Postgres
import Testing

/// Read-only routes on a real hot standby (`scripts/test-postgres.sh standby-start`, a `pg_basebackup -R`
/// streaming replica of the test server): reads served by the standby, the fallback to the primary when it
/// lags or stops, and the return to it when it is back.
@Suite(.serialized,
       .enabled(if: ProcessInfo.processInfo.environment["GS_TEST_STANDBY_URL"] != nil,
                "needs a hot standby: scripts/test-postgres.sh standby-start, then GS_TEST_STANDBY_URL=$(scripts/test-postgres.sh standby-url)"))
struct ReadReplicaTests {
    static let standbyServer = ProcessInfo.processInfo.environment["GS_TEST_STANDBY_URL"] ?? ""

    /// The same database on the standby.
    static func onStandby(_ primaryURL: String) -> String {
        let name = primaryURL[primaryURL.index(after: primaryURL.lastIndex(of: "/")!)...]
        return String(standbyServer[..<standbyServer.lastIndex(of: "/")!]) + "/" + name
    }

    static func script(_ command: String) throws {
        let r = try Subprocess.run(["/bin/bash", Paths.repository + "/scripts/test-postgres.sh", command])
        #expect(r.status == 0, "test-postgres.sh \(command): \(r.output)")
    }

    /// Waits for a condition (polling every 50 ms), at most `timeout` seconds.
    static func eventually(_ timeout: Double = 30, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return try condition()
    }

    /// A series' value in the service's /metrics (0 when absent).
    static func metric(_ s: TestService, _ series: String) throws -> Double {
        let text = String(decoding: try s.get("/metrics").body, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1)) ?? 0
        }
        return 0
    }

    static func firstClose(_ s: TestService) throws -> Double? {
        let r = try s.get("/api/v1/market-data/PG?limit=1")
        return ((r.json["bars"] as? [[String: Any]])?.first?["close"] as? Double)
    }

    @Test func readsAreServedByTheStandbyFallBackWhenItLagsOrStopsAndReturn() throws {
        let primaryURL = try TestDatabase.fresh("replica")
        defer { TestDatabase.drop(primaryURL) }
        let standbyURL = Self.onStandby(primaryURL)
        // Two services on the same primary and standby: one tolerates an hour of lag, the other one second.
        let tolerant = try TestService(label: "replica", databaseURL: primaryURL,
                                       environment: ["DATABASE_READ_URL": standbyURL, "GS_READ_MAX_LAG": "3600",
                                                     "GS_READ_CHECK_INTERVAL": "0.1"])
        let strict = try TestService(label: "replica", databaseURL: primaryURL,
                                     environment: ["DATABASE_READ_URL": standbyURL, "GS_READ_MAX_LAG": "1",
                                                   "GS_READ_CHECK_INTERVAL": "0.1"])
        _ = try strict.app.imports.importFile(path: Paths.data("bluefin_PG.csv"), symbol: NewSymbol(symbol: "PG", assetClass: .equity),
                                              timeframe: .d1, timeZone: .utc)
        // The new database reaches the standby by WAL replay, a moment after it exists on the primary.
        var connected: PostgresConnection?
        #expect(Self.eventually { connected = try? PostgresConnection.connect(standbyURL); return connected != nil })
        let standby = try #require(connected)
        defer { standby.close() }
        #expect(try Self.eventually {
            try standby.query("SELECT count(*) FROM bars", []).first?.decode(0, as: Int.self) == 14_840
        })
        #expect(try Self.eventually { tolerant.app.readReplica!.usable && strict.app.readReplica!.usable })

        // Reads go to the standby: the replica counter moves, the primary one does not.
        let before = (replica: try Self.metric(strict, "gs_db_reads_total{target=\"replica\"}"),
                      primary: try Self.metric(strict, "gs_db_reads_total{target=\"primary\"}"))
        let original = try #require(try Self.firstClose(strict))
        #expect(try Self.metric(strict, "gs_db_reads_total{target=\"replica\"}") > before.replica)
        #expect(try Self.metric(strict, "gs_db_reads_total{target=\"primary\"}") == before.primary)
        #expect(try Self.metric(strict, "gs_db_read_replica_usable") == 1)

        // The standby stops replaying; the primary changes the first bar.
        _ = try standby.query("SELECT pg_wal_replay_pause()", [])
        let primary = try PostgresConnection.connect(primaryURL)
        defer { primary.close() }
        try primary.execute("UPDATE bars SET close = close + 1000 WHERE ts = (SELECT min(ts) FROM bars)")
        // The tolerant service still reads the standby, which has not seen the change: proof of where it reads.
        #expect(try Self.firstClose(tolerant) == original)
        // The strict one sees the lag, reads the primary (and the change), and says why.
        #expect(try Self.eventually { strict.app.readReplica!.reason == .lag })
        #expect(try Self.firstClose(strict) == original + 1000)
        #expect(try Self.metric(strict, "gs_db_read_fallbacks_total{reason=\"lag\"}") >= 1)
        #expect(try Self.metric(strict, "gs_db_read_replica_usable") == 0)
        #expect(try Self.metric(strict, "gs_db_read_replica_lag_seconds") > 1)

        // Replay resumes: both read the standby again, and it has the change. (A replica within its lag bound may
        // still be a moment behind, so the change is awaited on the standby itself first.)
        _ = try standby.query("SELECT pg_wal_replay_resume()", [])
        #expect(try Self.eventually {
            try standby.query("SELECT close FROM bars ORDER BY ts LIMIT 1", []).first?.decode(0, as: Double.self) == original + 1000
        })
        #expect(try Self.eventually { strict.app.readReplica!.usable })
        let replicaReads = try Self.metric(strict, "gs_db_reads_total{target=\"replica\"}")
        #expect(try Self.firstClose(strict) == original + 1000)
        #expect(try Self.firstClose(tolerant) == original + 1000)
        #expect(try Self.metric(strict, "gs_db_reads_total{target=\"replica\"}") > replicaReads)

        // The standby stops: reads are answered by the primary, the metric says the replica is down.
        standby.close()
        try Self.script("standby-stop")
        #expect(try Self.eventually { strict.app.readReplica!.reason == .down })
        let page = try strict.get("/api/v1/market-data/PG?limit=3")
        #expect(page.status == 200)
        #expect((page.json["bars"] as? [Any])?.count == 3)
        #expect(try Self.metric(strict, "gs_db_read_fallbacks_total{reason=\"down\"}") >= 1)
        #expect(try strict.get("/api/v1/quality/PG").status == 200)
        #expect(try strict.get("/api/v1/indicators/PG?indicators=sma:20&limit=5").status < 500)

        // It comes back: reads return to it.
        try Self.script("standby-start")
        #expect(try Self.eventually(60) { strict.app.readReplica!.usable })
        let back = try Self.metric(strict, "gs_db_reads_total{target=\"replica\"}")
        #expect(try Self.firstClose(strict) == original + 1000)
        #expect(try Self.metric(strict, "gs_db_reads_total{target=\"replica\"}") > back)
    }
}
