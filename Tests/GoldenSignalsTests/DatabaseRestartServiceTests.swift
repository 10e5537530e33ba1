import Foundation
import GoldenSignals
import HTTPClient
import Synchronization
import Testing

/// Stops and starts the test PostgreSQL server under load. `make test` runs this suite on its own
/// (`--filter DatabaseRestart`) after the others, since it takes the shared server away for a while.
@Suite(.serialized) struct DatabaseRestartServiceTests {
    static func testPostgres(_ action: String) throws {
        let result = try Subprocess.run(["/bin/bash", Paths.repository + "/scripts/test-postgres.sh", action])
        #expect(result.status == 0, "test-postgres.sh \(action) failed: \(result.output)")
    }

    @Test func answers503QuicklyWhileTheDatabaseIsDownAndRecoversWithoutRestart() throws {
        let s = try TestService(label: "restart")
        #expect(try s.postJSON("/api/v1/symbols", #"{"symbol":"UP","asset_class":"equity"}"#).status == 201)

        // Load from four threads for the whole test: only 200 and 503 may ever come back.
        let statuses = Mutex([Int: Int]())
        let stop = Atomic(false)
        let threads = (0..<4).map { _ in
            Thread {
                let client = HTTPClient()
                while !stop.load(ordering: .relaxed) {
                    var r = HTTPClientRequest(url: "http://127.0.0.1:\(s.port)/api/v1/symbols")
                    r.timeout = 10
                    let code = (try? client.send(r).status) ?? -1
                    statuses.withLock { $0[code, default: 0] += 1 }
                }
            }
        }
        threads.forEach { $0.start() }
        defer { stop.store(true, ordering: .relaxed) }

        try Self.testPostgres("stop")
        Thread.sleep(forTimeInterval: 0.5)
        for _ in 0..<3 {
            let started = Date()
            let r = try s.get("/api/v1/symbols")
            #expect(r.status == 503)
            #expect(r.header("Retry-After") != nil)
            #expect(Date().timeIntervalSince(started) < 3.5)
        }
        let readyStarted = Date()
        #expect(try s.get("/health/ready").status == 503)
        #expect(Date().timeIntervalSince(readyStarted) < 2.5)
        #expect(try s.get("/health/live").status == 200)

        try Self.testPostgres("start")
        let deadline = Date().addingTimeInterval(20)
        var recovered = false
        while Date() < deadline {
            if try s.get("/api/v1/symbols").status == 200 { recovered = true; break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(recovered, "the service did not recover after PostgreSQL came back")
        #expect(try s.get("/health/ready").status == 200)
        // The outage the requests met is on record once the database answers again, resolved, with the
        // failed connection attempts counted.
        try s.app.anomalyDetector.runOnce()   // (or the scheduled round did it already)
        let anomalies = try s.get("/api/v1/monitoring/anomalies?status=resolved").json["anomalies"] as? [[String: Any]] ?? []
        let outage = anomalies.first { $0["kind"] as? String == "database_unreachable" }
        #expect(outage?["status"] as? String == "resolved", "anomalies after the outage: \(anomalies)")
        #expect(((outage?["details"] as? [String: Any])?["failed_attempts"] as? Int ?? 0) > 0, "outage: \(String(describing: outage))")
        stop.store(true, ordering: .relaxed)
        Thread.sleep(forTimeInterval: 0.5)
        let seen = statuses.withLock { $0 }
        #expect(Set(seen.keys).isSubset(of: [200, 503]), "statuses seen under load: \(seen)")
        #expect(seen[503, default: 0] > 0)
    }
}
