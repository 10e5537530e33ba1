/// Where a stream writer's bytes go (the connection, or a buffer in tests).
protocol StreamSink: Sendable {
    /// Queues bytes; false when the client is gone or too far behind.
    func write(_ bytes: [UInt8]) -> Bool
    /// Ends the stream.
    func finish()
    /// Closes the connection without ending the body (the client sees an incomplete response).
    func abort()
    /// The connection closed (wakes a producer waiting for the client).
    func closed()
}

extension StreamSink {
    func closed() {}
    func abort() { finish() }
}

/// Writes the body of a `.stream` response; thread-safe and may outlive the handler.
public final class ResponseStreamWriter: Sendable {
    private let closed = ClosedFlag()
    private let sink: any StreamSink

    init(sink: any StreamSink) {
        self.sink = sink
    }

    /// A writer that hands its bytes to closures, for running stream handlers without a
    /// socket (in-process tests). `write` returning false ends the stream like a gone client.
    public convenience init(write: @escaping @Sendable ([UInt8]) -> Bool, finish: @escaping @Sendable () -> Void = {}) {
        self.init(sink: ClosureStreamSink(onWrite: write, onFinish: finish))
    }

    /// Sends `bytes` as one chunk.
    /// - Returns: false once the client is gone (or the stream finished): stop producing.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        if closed.isSet { return false }
        if bytes.isEmpty { return true }  // an empty chunk would end the chunked body
        if sink.write(bytes) { return true }
        closed.set()
        return false
    }

    /// Ends the response; later writes return false. Idempotent.
    public func finish() {
        if closed.setIfUnset() { sink.finish() }
    }

    /// The most bytes ever waiting for the client at once, for `.waitForClient` streams on a connection.
    var peakPendingBytes: Int? { (sink as? ConnectionStreamSink)?.flow?.peak }

    /// Gives up: closes the connection without ending the body, so the client sees an incomplete
    /// response rather than a complete but short one. Idempotent; later writes return false.
    public func abort() {
        if closed.setIfUnset() { sink.abort() }
    }

    /// True after `finish()` or once the client is gone.
    public var isClosed: Bool { closed.isSet }

    /// Called by the server when the connection closes.
    func markClosed() {
        closed.set()
        sink.closed()
    }
}

/// A set-once flag.
final class ClosedFlag: @unchecked Sendable {
    private let lock = ConditionLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }

    /// Sets the flag; true if this call set it.
    func setIfUnset() -> Bool {
        lock.withLock {
            if value { return false }
            value = true
            return true
        }
    }
}

struct ClosureStreamSink: StreamSink {
    let onWrite: @Sendable ([UInt8]) -> Bool
    let onFinish: @Sendable () -> Void

    func write(_ bytes: [UInt8]) -> Bool { onWrite(bytes) }
    func finish() { onFinish() }
}
