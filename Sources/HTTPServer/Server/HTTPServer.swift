public import Logging
import Glibc

/// The HTTP/1.1 server: one epoll event loop per core, a bounded worker pool for blocking
/// handlers, and graceful shutdown.
public final class HTTPServer: @unchecked Sendable {
    private enum State {
        case idle
        case running
        case draining
        case stopped
    }

    private var configuration: HTTPServerConfiguration
    private let router: Router
    private let logger: Logger
    private let lock = ConditionLock()
    private var state = State.idle
    private var loops: [EventLoop] = []
    private var exitedLoops = 0
    private var workers: WorkerPool?
    private var port = 0
    private var descriptors = DescriptorLimit.Action.sufficient

    /// Creates a server; nothing happens until `start()`.
    public init(configuration: HTTPServerConfiguration, router: Router, logger: Logger) {
        self.configuration = configuration
        self.router = router
        self.logger = logger
    }

    /// Binds, listens, and starts loops and workers; returns once connections are accepted.
    public func start() throws {
        try lock.withLock {
            guard state == .idle else { return }
            signal(SIGPIPE, SIG_IGN)
            // Every connection is a descriptor: size RLIMIT_NOFILE for the cap, or the cap for the limit.
            let sized = DescriptorLimit.apply(connections: configuration.maxConnections, headroom: configuration.descriptorHeadroom)
            configuration.maxConnections = sized.connections
            descriptors = sized.action
            let loopCount = max(1, configuration.eventLoops)
            // Every loop has its own listening socket on the same port (SO_REUSEPORT): the
            // kernel spreads connections and no lock is shared on accept.
            var fds: [Int32] = []
            do {
                let first = try Posix.listen(host: configuration.host, port: configuration.port, backlog: 4096)
                fds.append(first)
                port = try Posix.localPort(first)
                for _ in 1..<loopCount {
                    fds.append(try Posix.listen(host: configuration.host, port: port, backlog: 4096))
                }
            } catch {
                for fd in fds { close(fd) }
                throw error
            }
            let pool = WorkerPool(threads: configuration.workerThreads, queueDepth: configuration.workerQueueDepth)
            let context = ServerContext(router: router, configuration: configuration, workers: pool, logger: logger)
            var created: [EventLoop] = []
            for (i, fd) in fds.enumerated() {
                created.append(try EventLoop(index: i, listenFD: fd, context: context) { [self] in loopExited() })
            }
            workers = pool
            loops = created
            pool.start()
            for loop in created { loop.start() }
            state = .running
        }
        logger.info("HTTP server listening", metadata: ["host": "\(configuration.host)", "port": "\(port)",
                                                        "loops": "\(loops.count)", "workers": "\(configuration.workerThreads)"])
        switch descriptors {
        case .sufficient:
            break
        case .raised(let from, let to):
            logger.notice("raised the open-file soft limit (RLIMIT_NOFILE) for the connection cap",
                          metadata: ["from": "\(from)", "to": "\(to)", "max_connections": "\(configuration.maxConnections)"])
        case .loweredConnections(let cap, let soft):
            logger.warning("the open-file limit (RLIMIT_NOFILE) is too low for the configured connection cap; lowered the cap",
                           metadata: ["max_connections": "\(cap)", "limit": "\(soft)",
                                      "headroom": "\(configuration.descriptorHeadroom)"])
        }
    }

    /// The connection cap in force (the configured one, or lower when `RLIMIT_NOFILE` could not be raised
    /// for it) and what was done with the limit at start.
    public var connectionLimit: (maxConnections: Int, descriptors: DescriptorLimit.Action) {
        lock.withLock { (configuration.maxConnections, descriptors) }
    }

    /// The worker pool's threads, busy threads, queue and refusals; nil before `start()`.
    public var workerStatistics: WorkerPoolStatistics? {
        lock.withLock { workers }?.statistics
    }

    /// The bound port (useful with port 0).
    public var localPort: Int { lock.withLock { port } }

    /// Stops accepting, lets requests in flight finish (until the deadline), closes idle
    /// connections and stops the workers. Returns when done; idempotent and thread-safe.
    public func shutdown() {
        lock.lock()
        switch state {
        case .idle:
            state = .stopped
            lock.unlock()
            lock.broadcast()
            return
        case .draining, .stopped:
            while state != .stopped { lock.wait() }
            lock.unlock()
            return
        case .running:
            state = .draining
        }
        let loops = self.loops
        lock.unlock()

        logger.info("HTTP server shutting down", metadata: ["deadline_s": "\(configuration.shutdownDeadline)"])
        let deadline = monotonicNow() + configuration.shutdownDeadline
        for loop in loops { loop.beginDrain(deadline: deadline) }
        lock.lock()
        while exitedLoops < loops.count, monotonicNow() < deadline + 2 { lock.wait(untilMonotonic: deadline + 2) }
        let pool = workers
        lock.unlock()
        pool?.shutdown(deadline: max(monotonicNow() + 0.1, deadline))

        lock.lock()
        state = .stopped
        lock.unlock()
        lock.broadcast()
        logger.info("HTTP server stopped")
    }

    /// Blocks until a shutdown has completed.
    public func wait() {
        lock.lock()
        while state != .stopped { lock.wait() }
        lock.unlock()
    }

    /// SIGTERM and SIGINT start a graceful shutdown (after which `wait()` returns).
    public func installSignalHandlers() {
        SignalWatcher.install(self)
    }

    private func loopExited() {
        lock.lock()
        exitedLoops += 1
        lock.unlock()
        lock.broadcast()
    }
}

/// Turns SIGTERM/SIGINT into `shutdown()` calls: the handler only writes to an eventfd
/// (async-signal-safe), a thread reads it.
enum SignalWatcher {
    nonisolated(unsafe) private static var fd: Int32 = -1
    private static let lock = ConditionLock()
    nonisolated(unsafe) private static var servers: [HTTPServer] = []

    static func install(_ server: HTTPServer) {
        lock.lock()
        defer { lock.unlock() }
        servers.append(server)
        guard fd < 0 else { return }
        fd = CLinux.eventfd(0, CLinux.EFD_CLOEXEC)
        guard fd >= 0 else { return }
        let handler: @convention(c) (Int32) -> Void = { _ in Posix.signalEventFD(SignalWatcher.fd) }
        signal(SIGTERM, handler)
        signal(SIGINT, handler)
        Posix.startThread(name: "http-signals") {
            while true {
                var value: UInt64 = 0
                let n = withUnsafeMutableBytes(of: &value) { read(SignalWatcher.fd, $0.baseAddress, 8) }
                if n < 0, errno == EINTR { continue }
                guard n == 8 else { return }
                let targets = lock.withLock { servers }
                for server in targets {
                    Posix.startThread(name: "http-shutdown") { server.shutdown() }
                }
            }
        }
    }
}
