import Foundation

/// Runs `work` on its own thread, first after `firstDelay` seconds and then every `interval` seconds, until
/// stopped (a stop wakes it at once). Does nothing when `interval` is not positive. The scheduled jobs run on
/// it (ingestion, evaluation, partition maintenance, the generation sweep, anomaly detection: each round
/// elects itself with `PostgresPool.ifElected` or its own advisory lock), and so do the read replica's
/// check and the key-usage flush.
public final class PeriodicTask: @unchecked Sendable {
    let name: String
    let firstDelay: Double
    let interval: Double
    let work: @Sendable () -> Void
    private let condition = NSCondition()
    private var stopping = false
    private var finished = false

    /// - Parameter firstDelay: seconds before the first round (`interval` when nil).
    public init(name: String, firstDelay: Double? = nil, interval: Double, work: @escaping @Sendable () -> Void) {
        self.name = name
        self.firstDelay = firstDelay ?? interval
        self.interval = interval
        self.work = work
    }

    public func start() {
        guard interval > 0 else {
            condition.withLock { finished = true }
            return
        }
        let thread = Thread { [self] in
            var wait = firstDelay
            while true {
                condition.lock()
                let deadline = Date(timeIntervalSinceNow: wait)
                while !stopping, condition.wait(until: deadline) {}
                let stop = stopping
                condition.unlock()
                if stop { break }
                work()
                wait = interval
            }
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = name
        thread.start()
    }

    /// Stops the thread. With `waiting`, returns once the round in progress, if any, has ended (at most 5 s);
    /// otherwise at once, the round finishing on its own.
    public func stop(waiting: Bool = true) {
        condition.lock()
        stopping = true
        condition.broadcast()
        if waiting {
            let deadline = Date(timeIntervalSinceNow: 5)
            while !finished, condition.wait(until: deadline) {}
        }
        condition.unlock()
    }
}
