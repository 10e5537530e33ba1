import Foundation

/// Runs `work` on its own thread every `interval` seconds until stopped.
public final class PeriodicTask: @unchecked Sendable {
    let name: String
    let interval: Double
    let work: @Sendable () -> Void
    private let condition = NSCondition()
    private var stopping = false
    private var finished = false

    public init(name: String, interval: Double, work: @escaping @Sendable () -> Void) {
        self.name = name
        self.interval = interval
        self.work = work
    }

    public func start() {
        let thread = Thread { [self] in
            while true {
                condition.lock()
                let deadline = Date(timeIntervalSinceNow: interval)
                while !stopping, condition.wait(until: deadline) {}
                let stop = stopping
                condition.unlock()
                if stop { break }
                work()
            }
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = name
        thread.start()
    }

    /// Stops the thread and waits for it (at most 5 s).
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        let deadline = Date(timeIntervalSinceNow: 5)
        while !finished, condition.wait(until: deadline) {}
        condition.unlock()
    }
}
