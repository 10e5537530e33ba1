/// Sends a stream writer's bytes to its connection through the loop's task queue.
final class ConnectionStreamSink: StreamSink, @unchecked Sendable {
    private let connection: Connection
    private let loop: EventLoop

    init(connection: Connection, loop: EventLoop) {
        self.connection = connection
        self.loop = loop
    }

    func write(_ bytes: [UInt8]) -> Bool {
        loop.execute { [connection] in connection.streamWrite(bytes) }
        return true
    }

    func finish() {
        loop.execute { [connection] in connection.streamFinish() }
    }
}
