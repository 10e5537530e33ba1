import Foundation
import Postgres
import Testing

/// Restarts the shared test server, so it must not run alongside the other suites: it is enabled only when
/// `GS_TEST_PG_RESTART=1`, and run as a second, separate `swift test` invocation (see README.md).
@Suite(.serialized, .tags(.restartsServer),
       .enabled(if: ProcessInfo.processInfo.environment["GS_TEST_PG_RESTART"] == "1",
                "restarts the shared PostgreSQL server; run alone with GS_TEST_PG_RESTART=1"))
struct PostgresRestartTests {
    private struct Outcome {
        var finished: Date
        var seconds: Double
        var error: (any Error)?
    }

    @Test func poolRecoversByItselfAfterServerRestart() throws {
        let pool = PostgresPool(conninfo: TestDB.url, maxConnections: 4, acquireTimeout: 2)
        defer { pool.shutdown() }
        let startedBefore = try pool.withConnection { c in
            try c.query("SELECT pg_postmaster_start_time()").first!.decode(0, as: Date.self)
        }
        let stop = Locked(false)
        let outcomes = Locked<[Outcome]>([])
        let group = DispatchGroup()
        for _ in 0..<8 {
            group.enter()
            Thread {
                while !stop.current {
                    let start = Date()
                    var failure: (any Error)?
                    do {
                        _ = try pool.withConnection { c in try c.query("SELECT pg_sleep(0.005), \(1)") }
                    } catch {
                        failure = error
                    }
                    let end = Date()
                    outcomes.withLock { $0.append(Outcome(finished: end, seconds: end.timeIntervalSince(start), error: failure)) }
                    if failure != nil { Thread.sleep(forTimeInterval: 0.05) }
                }
                group.leave()
            }.start()
        }
        Thread.sleep(forTimeInterval: 1)

        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/test-postgres.sh")
        #expect(try runScript(script.path, ["restart"]) == 0)
        let restarted = Date()

        // Give the pool 5 s to recover on its own, then watch a further 2 s in which nothing may fail.
        Thread.sleep(forTimeInterval: 7)
        stop.withLock { $0 = true }
        group.wait()

        let all = outcomes.current
        let failures = all.filter { $0.error != nil }
        let lateWindow = all.filter { $0.finished > restarted.addingTimeInterval(5) }
        let startedAfter = try pool.withConnection { c in
            try c.query("SELECT pg_postmaster_start_time()").first!.decode(0, as: Date.self)
        }
        #expect(startedAfter > startedBefore, "the server was not restarted")
        for failure in failures {
            let error = failure.error as? PostgresError
            #expect(error?.isConnectionProblem == true, "unexpected error \(String(describing: failure.error))")
            #expect(failure.seconds < 5, "a call took \(failure.seconds) s while the server was down")
        }
        #expect(all.allSatisfy { $0.seconds < 5 })
        #expect(!lateWindow.isEmpty)
        #expect(lateWindow.allSatisfy { $0.error == nil }, "calls still failing 5 s after the restart")
        #expect(pool.statistics.open <= 4)
        print("restart test: \(all.count) calls, \(failures.count) failed during the restart")
    }
}

/// Runs a program and waits for it. Foundation's `Process.waitUntilExit` missed the child's exit when called from a
/// test thread, so this uses posix_spawn and waitpid. The script's own output is appended to the test server's log.
private func runScript(_ path: String, _ arguments: [String]) throws -> Int32 {
    let dir = ProcessInfo.processInfo.environment["GS_TEST_PG_DIR"] ?? "/tmp/goldensignals-test-pg"
    let logPath = FileManager.default.fileExists(atPath: dir) ? dir + "/server.log" : "/dev/null"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_APPEND | O_CREAT, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    // Test threads block signals; the server must not inherit that mask.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
    guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EINVAL) }
    }
    return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
}
