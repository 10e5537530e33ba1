/// Sends a stream writer's bytes to its connection through the loop's task queue.
final class ConnectionStreamSink: StreamSink, @unchecked Sendable {
    private let connection: Connection
    private let loop: EventLoop
    /// Present in `.waitForClient` mode.
    let flow: StreamBackpressure?

    init(connection: Connection, loop: EventLoop, flow: StreamBackpressure? = nil) {
        self.connection = connection
        self.loop = loop
        self.flow = flow
    }

    func write(_ bytes: [UInt8]) -> Bool {
        if let flow {
            // Blocks this (worker) thread while the client is more than the bound behind; never the loop.
            guard flow.acquire(bytes.count) else { return false }
        }
        loop.execute { [connection] in connection.streamWrite(bytes) }
        return true
    }

    func finish() {
        loop.execute { [connection] in connection.streamFinish() }
    }

    func abort() {
        loop.execute { [connection] in connection.close() }
    }

    func closed() { flow?.close() }
}

/// The bytes of one download not yet sent to the socket: queued for the loop plus buffered in the
/// connection. The producer waits while they exceed the bound; the loop wakes it as the socket drains.
final class StreamBackpressure: @unchecked Sendable {
    let bound: Int
    private let lock = ConditionLock()
    /// Handed to the loop, not yet in the connection's buffer.
    private var queued = 0
    /// In the connection's output buffer.
    private var buffered = 0
    private var isClosed = false
    private var waiting = false
    /// The most bytes ever pending at once (tests read it).
    private(set) var peakPending = 0

    init(bound: Int) { self.bound = max(1, bound) }

    /// Waits until the pending bytes are at most the bound, then counts `n` more; false once closed.
    func acquire(_ n: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        while !isClosed, queued + buffered > bound {
            waiting = true
            lock.wait(untilMonotonic: monotonicNow() + 1)
        }
        waiting = false
        if isClosed { return false }
        queued += n
        peakPending = max(peakPending, queued + buffered)
        return true
    }

    /// Called on the loop: `n` queued bytes reached the connection.
    func delivered(_ n: Int, buffered now: Int) {
        lock.withLock {
            queued -= n
            buffered = now
            if waiting, queued + buffered <= bound { lock.broadcast() }
        }
    }

    /// Called on the loop after the socket took bytes: `now` remain buffered.
    func drained(buffered now: Int) {
        lock.withLock {
            buffered = now
            if waiting, queued + buffered <= bound { lock.broadcast() }
        }
    }

    var peak: Int { lock.withLock { peakPending } }

    func close() {
        lock.withLock {
            isClosed = true
            lock.broadcast()
        }
    }
}
