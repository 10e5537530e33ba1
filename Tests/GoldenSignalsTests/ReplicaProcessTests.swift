import Foundation
import Glibc
@testable import GoldenSignals
import HTTPClient
import Postgres
import Testing

/// Two `goldensignals serve` processes (the built binary) against one database: imports through one, the
/// process holding a series' generation lock killed in the middle of generating it, the other finishing the
/// job; no signal, outcome or webhook delivery twice, none lost, and new signals on the SSE stream of the
/// survivor.
private let replicaBinary = Paths.repository + "/.build/debug/goldensignals"

@Suite(.serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: replicaBinary),
                "needs the built binary .build/debug/goldensignals (swift build)"))
struct ReplicaProcessTests {
    static let binary = replicaBinary

    /// One `serve` process on a free port; its log goes to a file beside the test database's name.
    final class Replica {
        let name: String
        let process = Process()
        let port: Int
        let log: String

        init(name: String, databaseURL: String, environment: [String: String]) throws {
            self.name = name
            port = try Self.freePort()
            log = "/tmp/gs-replica-\(name)-\(getpid()).log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            process.executableURL = URL(fileURLWithPath: ReplicaProcessTests.binary)
            process.arguments = ["serve", "--port", "\(port)"]
            var env = ProcessInfo.processInfo.environment
            env["DATABASE_URL"] = databaseURL + "?application_name=gs-\(name)"
            env["GS_MIGRATIONS_DIR"] = Paths.migrations
            env["GS_OPENAPI_PATH"] = Paths.openAPI
            for (k, v) in environment { env[k] = v }
            process.environment = env
            let handle = FileHandle(forWritingAtPath: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }

        static func freePort() throws -> Int {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = 0
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
            _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
            return Int(UInt16(bigEndian: addr.sin_port))
        }

        var base: String { "http://127.0.0.1:\(port)" }

        func kill9() { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }

        deinit {
            // SIGTERM first; in our runs a child spawned by the test runner did not react to it (one started from
            // a shell shuts down on it), so SIGKILL after 3 s.
            guard process.isRunning else { return }
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(3)
            while process.isRunning, Date() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    static func eventually(_ timeout: Double = 60, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }

    @discardableResult
    static func post(_ base: String, _ path: String, _ body: String, _ type: String = "application/json") throws -> HTTPClientResponse {
        var req = HTTPClientRequest(url: base + path, method: "POST", headers: [("Content-Type", type)], body: Array(body.utf8))
        req.timeout = 300
        return try HTTPClient().send(req)
    }

    static func count(_ conn: PostgresConnection, _ sql: String) throws -> Int {
        try conn.query(sql, []).first!.decode(0)
    }

    @Test func theOtherReplicaFinishesAJobWhoseLeaderDiedWithNothingTwiceAndNothingLost() throws {
        // What one process alone makes of the file: the expected signals.
        let reference = try TestService(label: "replref")
        _ = try reference.app.imports.importFile(path: Paths.data("bluefin_PG.csv"), symbol: NewSymbol(symbol: "PG", assetClass: .equity),
                                                 timeframe: .d1, timeZone: .utc)
        let refConn = try PostgresConnection.connect(reference.app.configuration.databaseURL!)
        defer { refConn.close() }
        let expectedAll = try Self.count(refConn, "SELECT count(*) FROM signals")
        let expectedPublished = try Self.count(refConn, "SELECT count(*) FROM signals WHERE published")
        #expect(expectedPublished > 0)

        let url = try TestDatabase.fresh("replicas")
        defer { TestDatabase.drop(url) }
        let receiver = try WebhookReceiver()
        let env = ["GS_INGEST_INTERVAL": "0", "GS_EVALUATE_INTERVAL": "1", "GS_GENERATE_SWEEP_INTERVAL": "0.5",
                   "GS_PARTITION_INTERVAL": "1", "GS_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "GS_LOG_LEVEL": "info"]
        let a = try Replica(name: "a", databaseURL: url, environment: env)
        let b = try Replica(name: "b", databaseURL: url, environment: env)
        let client = HTTPClient()
        for r in [a, b] {
            #expect(Self.eventually(120) { (try? client.send(HTTPClientRequest(url: r.base + "/health/live")).status) == 200 },
                    "replica \(r.name) did not start: \((try? String(contentsOfFile: r.log, encoding: .utf8)) ?? "")")
        }
        #expect(try Self.post(a.base, "/api/v1/symbols", #"{"symbol":"PG","asset_class":"equity"}"#).status == 201)
        #expect(try Self.post(b.base, "/api/v1/webhooks", #"{"url":"\#(receiver.url)","events":["signal.created"]}"#).status == 201)
        let streams = [a, b].map { r in (r, try? SSEClient(port: r.port, path: "/api/v1/signals/stream", timeout: 5)) }
        for (_, s) in streams { #expect(s?.waitForHead() == 200) }

        // The bars go in through A; generation starts in A (the upload) or B (its sweep), under the series' lock.
        let conn = try PostgresConnection.connect(url)
        defer { conn.close() }
        let csv = try String(contentsOfFile: Paths.data("bluefin_PG.csv"), encoding: .utf8)
        let base = a.base
        let upload = Thread { _ = try? Self.post(base, "/api/v1/market-data/PG/bars", csv, "text/csv") }
        upload.start()
        let symbolID = try Self.count(conn, "SELECT id::int FROM symbols WHERE symbol = 'PG'")
        var holder: String?
        #expect(Self.eventually(120) {
            holder = try? conn.query("""
                SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid,
                       (SELECT hashtext($1)::int8 AS k) h
                WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND a.application_name IN ('gs-a', 'gs-b')
                  AND l.classid::text::int8 = (h.k >> 32) & 4294967295 AND l.objid::text::int8 = h.k & 4294967295
                """, ["signals|\(symbolID)|1d"]).first?.decode(0, as: String.self)
            return holder != nil
        })
        #expect(try Self.count(conn, "SELECT count(*) FROM signals") == 0, "generation committed before the kill")
        // Kill the process that holds the job, in the middle of it.
        let (victim, survivor) = holder == "gs-b" ? (b, a) : (a, b)
        victim.kill9()

        // The survivor finishes: the series is scanned through its last bar, every signal and outcome is there once.
        #expect(Self.eventually(180) {
            (try? Self.count(conn, """
                SELECT count(*) FROM signal_scans s WHERE s.symbol_id = \(symbolID) AND s.timeframe = '1d'
                  AND s.through_ts = (SELECT max(ts) FROM bars WHERE symbol_id = \(symbolID) AND timeframe = '1d')
                """)) == 1
        }, "survivor \(survivor.name) did not generate: \((try? String(contentsOfFile: survivor.log, encoding: .utf8)) ?? "")")
        // Said with the figures, should this ever fail again.
        let stored = try Self.count(conn, "SELECT count(*) FROM bars"), made = try Self.count(conn, "SELECT count(*) FROM signals")
        let scans = (try? conn.query("SELECT timeframe || ' through ' || through_ts::text FROM signal_scans").map { try $0.decode(0, as: String.self) }) ?? []
        #expect(stored == 14_840, "bars stored: \(stored); victim \(victim.name) held the series' lock; scans: \(scans)")
        #expect(made == expectedAll, "signals: \(made) of \(expectedAll)")
        #expect(try Self.count(conn, "SELECT count(*) FROM signals WHERE published") == expectedPublished)
        #expect(try Self.count(conn, "SELECT count(DISTINCT (symbol_id, timeframe, ts, strategy, params)) FROM signals") == expectedAll)
        #expect(Self.eventually(180) { (try? Self.count(conn, "SELECT count(*) FROM signal_outcomes")) == expectedAll })
        #expect(try Self.count(conn, "SELECT count(DISTINCT signal_id) FROM signal_outcomes") == expectedAll)
        // One webhook message per published signal, each delivered once.
        #expect(try Self.count(conn, "SELECT count(*) FROM webhook_outbox") == expectedPublished)
        #expect(receiver.wait(timeout: 120) { $0.count >= expectedPublished })
        usleep(500_000)
        #expect(receiver.all.count == expectedPublished)
        #expect(receiver.distinctIDs.count == expectedPublished)
        // The survivor's SSE client got every new signal once.
        if let stream = streams.first(where: { $0.0 === survivor })?.1 {
            var ids = [String](), events = [String: Int]()
            let deadline = Date().addingTimeInterval(30)
            while ids.count < expectedPublished, Date() < deadline, let e = stream.next() {
                events[e.event ?? "(none)", default: 0] += 1
                if e.event == "signal", let id = e.id { ids.append(id) }
            }
            #expect(ids.count == expectedPublished, "events seen: \(events)")
            #expect(Set(ids).count == ids.count)
        }
    }
}
