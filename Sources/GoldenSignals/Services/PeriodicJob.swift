import Foundation
import Postgres

/// A background thread that runs `body` after a first delay and then every `interval` seconds until
/// stopped (a stop wakes it at once). The schedulers of ingestion and evaluation run on it; each round
/// elects itself with an advisory lock inside `body`.
final class PeriodicJob: @unchecked Sendable {
    private let name: String
    private let firstDelay: Double
    private let interval: Double
    private let body: @Sendable () -> Void
    private let condition = NSCondition()
    private var stopped = false

    init(name: String, firstDelay: Double, interval: Double, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.firstDelay = firstDelay
        self.interval = interval
        self.body = body
    }

    /// Starts the thread; does nothing when `interval` is not positive.
    func start() {
        guard interval > 0 else { return }
        let t = Thread { [self] in loop() }
        t.name = name
        t.start()
    }

    /// Stops after the round in progress, if any.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        var wait = firstDelay
        while true {
            condition.lock()
            let deadline = Date().addingTimeInterval(wait)
            while !stopped, condition.wait(until: deadline) {}
            let done = stopped
            condition.unlock()
            if done { return }
            body()
            wait = interval
        }
    }
}

extension PostgresPool {
    /// Runs `body` on a connection holding the session-level advisory lock `key`, when it can be taken at
    /// once (the election of a scheduled job's round); nil, without running it, when another session holds it.
    /// The lock is released when `body` returns, or by the server when the connection dies with its process.
    func ifElected<T>(_ key: Int64, _ body: (PostgresConnection) throws -> T) throws -> T? {
        try withConnection { conn -> T? in
            guard try conn.query("SELECT pg_try_advisory_lock($1)", [key]).first?.decode(0, as: Bool.self) == true else { return nil }
            defer { _ = try? conn.query("SELECT pg_advisory_unlock($1)", [key]) }
            return try body(conn)
        }
    }
}
