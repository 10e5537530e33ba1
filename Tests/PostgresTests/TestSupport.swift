import Foundation
import Postgres
import Testing

/// Connection settings and helpers shared by the integration suites.
enum TestDB {
    /// The test server URL: `GS_TEST_DATABASE_URL`, or the one `scripts/test-postgres.sh` prints.
    static let url = ProcessInfo.processInfo.environment["GS_TEST_DATABASE_URL"]
        ?? "postgresql://goldensignals@127.0.0.1:55432/goldensignals_test"

    /// Connects, retrying for a few seconds in case the server is (re)starting.
    static func connect() throws -> PostgresConnection {
        let deadline = Date().addingTimeInterval(15)
        while true {
            do {
                return try PostgresConnection.connect(url)
            } catch let error as PostgresError where error.isConnectionProblem && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
    }

    /// A lower-case name unique to this test run, safe as an unquoted identifier.
    static func unique(_ prefix: String) -> String {
        prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
    }

    /// Creates a fresh schema, points `search_path` at it, runs `body`, then drops the schema.
    static func withSchema<T>(_ connection: PostgresConnection, _ body: (String) throws -> T) throws -> T {
        let schema = unique("t")
        try connection.execute("CREATE SCHEMA \(schema); SET search_path TO \(schema)")
        defer { try? connection.execute("SET search_path TO public; DROP SCHEMA IF EXISTS \(schema) CASCADE") }
        return try body(schema)
    }

    /// Runs `body(i)` on `count` threads at once and waits for all of them.
    static func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for i in 0..<count {
            group.enter()
            let thread = Thread {
                body(i)
                group.leave()
            }
            thread.start()
        }
        group.wait()
    }
}

/// A lock-protected value for collecting results from several threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    var current: Value { withLock { $0 } }
}

extension Tag {
    /// Tests that restart the shared PostgreSQL server; run them alone (see README.md).
    @Tag static var restartsServer: Self
}
