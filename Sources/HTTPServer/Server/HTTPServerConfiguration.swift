import Glibc

/// Where and how the server runs.
public struct HTTPServerConfiguration: Sendable {
    /// The address to bind (numeric).
    public var host: String = "127.0.0.1"
    /// The port to bind; 0 picks an ephemeral port (see `HTTPServer.localPort`).
    public var port: Int = 8080
    /// Event loop threads; one per core by default.
    public var eventLoops: Int = HTTPServerConfiguration.cores
    /// Threads for handlers that may block (database work).
    public var workerThreads: Int = 16
    /// Requests waiting for a worker beyond which new ones are answered 503 at once.
    public var workerQueueDepth: Int = 1024
    /// Seconds a request head may take in total (and a body may go without a byte) before 408 and close.
    public var headerTimeout: Double = 10
    /// Seconds a request body may take in total, however steadily it arrives, before 408 and close.
    public var bodyTimeout: Double = 300
    /// The slowest body a client may send (bytes per second, averaged from the end of the head), once
    /// `bodyRateGracePeriod` has passed; slower: 408 and close. 0 turns the check off.
    public var minBodyBytesPerSecond: Int = 1024
    /// Seconds of a body before its rate is checked.
    public var bodyRateGracePeriod: Double = 5
    /// Body bytes all connections together may hold in memory; a body that would exceed it is answered
    /// 503 with `Retry-After` before it is read.
    public var maxBufferedBodyBytes: Int = 256 << 20
    /// Seconds a handler on the worker pool may take (queueing included) before the client is answered
    /// 503 and the connection closed (the handler's late answer is dropped). 0 turns the deadline off.
    public var handlerTimeout: Double = 30
    /// Descriptors kept beside the connection cap (database pool, files, the listeners) when the
    /// server sizes `RLIMIT_NOFILE` at start.
    public var descriptorHeadroom: Int = 256
    /// Seconds an idle keep-alive connection is kept.
    public var idleTimeout: Double = 60
    /// Seconds a graceful shutdown waits for requests in flight.
    public var shutdownDeadline: Double = 10
    /// Open connections beyond which new ones are closed at once.
    public var maxConnections: Int = 16_384
    /// The largest request line (414 beyond).
    public var maxRequestLineBytes: Int = 8 * 1024
    /// The largest header section (431 beyond).
    public var maxHeaderBytes: Int = 16 * 1024
    /// The most header fields (431 beyond).
    public var maxHeaderCount: Int = 100
    /// Called (on an event loop; keep it cheap) with the status of every request refused before routing —
    /// malformed or oversized framing (400, 413, 414, 417, 431, 501, 505), slow clients (408), a full body
    /// budget (503) — and of handlers past their deadline (503), which middleware never sees. For metrics.
    public var onRejectedRequest: (@Sendable (_ status: Int) -> Void)? = nil

    /// The defaults above.
    public init() {}

    /// Online CPU cores.
    public static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    var parserLimits: HTTPParserLimits {
        HTTPParserLimits(maxRequestLineBytes: maxRequestLineBytes, maxHeaderBytes: maxHeaderBytes,
                         maxHeaderCount: maxHeaderCount)
    }
}
