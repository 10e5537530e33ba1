import Glibc
import Logging

/// What every loop shares: routing, workers, limits and the logger.
final class ServerContext: Sendable {
    let router: Router
    let configuration: HTTPServerConfiguration
    let workers: WorkerPool
    let logger: Logger
    /// Body bytes all connections may buffer together.
    let bodyBudget: BodyBudget

    init(router: Router, configuration: HTTPServerConfiguration, workers: WorkerPool, logger: Logger) {
        self.router = router
        self.configuration = configuration
        self.workers = workers
        self.logger = logger
        self.bodyBudget = BodyBudget(limit: configuration.maxBufferedBodyBytes)
    }
}

/// One thread, one epoll instance, one listening socket (`SO_REUSEPORT`) and the connections it accepted.
///
/// Everything but `execute` runs on the loop's own thread.
final class EventLoop: @unchecked Sendable {
    let context: ServerContext
    let index: Int
    private let epfd: Int32
    private let wakeFD: Int32
    private var listenFD: Int32
    private var listenPaused = false
    private var connections: [Int32: Connection] = [:]
    private let maxConnections: Int

    // Cross-thread task queue, woken through the eventfd.
    private let taskLock = ConditionLock()
    private var tasks: [@Sendable () -> Void] = []
    private var wakePending = false

    // Loop-thread state.
    let readBuffer: UnsafeMutableRawBufferPointer
    var scratch: [UInt8] = []
    private(set) var draining = false
    private var drainDeadline = 0.0
    private var cachedSecond = -1
    private(set) var dateField: [UInt8] = []
    private(set) var now = monotonicNow()
    private let tick: Double
    private var nextSweep = 0.0
    private let onExit: @Sendable () -> Void

    /// The reusable output buffer, emptied; give it back by assigning `scratch` (avoids copy-on-write).
    func takeScratch() -> [UInt8] {
        var buffer: [UInt8] = []
        swap(&buffer, &scratch)
        buffer.removeAll(keepingCapacity: true)
        return buffer
    }

    init(index: Int, listenFD: Int32, context: ServerContext, onExit: @escaping @Sendable () -> Void) throws {
        self.index = index
        self.context = context
        self.listenFD = listenFD
        self.onExit = onExit
        let c = context.configuration
        maxConnections = max(1, (c.maxConnections + c.eventLoops - 1) / max(1, c.eventLoops))
        tick = max(0.01, min(0.25, c.headerTimeout / 4, c.idleTimeout / 4))
        epfd = try Posix.epollCreate()
        wakeFD = try Posix.eventFD()
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        scratch.reserveCapacity(64 * 1024)
        try Posix.epollAdd(epfd, wakeFD, events: Posix.EPOLLIN)
        try Posix.epollAdd(epfd, listenFD, events: Posix.EPOLLIN)
    }

    /// Runs `task` on the loop thread; callable from any thread.
    func execute(_ task: @escaping @Sendable () -> Void) {
        taskLock.lock()
        tasks.append(task)
        let wake = !wakePending
        wakePending = true
        taskLock.unlock()
        if wake { Posix.signalEventFD(wakeFD) }
    }

    /// Stops accepting, closes idle connections, lets the others finish until `deadline`.
    func beginDrain(deadline: Double) {
        execute { [self] in
            draining = true
            drainDeadline = deadline
            closeListener()
            sweep()
        }
    }

    func start() {
        Posix.startThread(name: "http-loop-\(index)") { [self] in run() }
    }

    private func run() {
        let events = EpollEvents(capacity: 512)
        defer { events.deallocate() }
        refreshDate()
        while true {
            let timeout = Int32(max(1, (nextSweep - now) * 1000))
            let n: Int
            do {
                n = try Posix.epollWait(epfd, events, timeoutMS: timeout)
            } catch {
                context.logger.critical("event loop \(index) stopped: \(error)")
                break
            }
            now = monotonicNow()
            refreshDate()
            for i in 0..<n {
                let fd = events.fd(i)
                if fd == wakeFD {
                    Posix.drainEventFD(wakeFD)
                    runTasks()
                } else if fd == listenFD {
                    acceptConnections()
                } else if let connection = connections[fd] {
                    connection.handleEvents(events.events(i))
                }
            }
            // Loops run flat out under load; yielding after each batch lets a co-located
            // process (the database, a load generator) run before the next batch instead of
            // after a whole time slice, which halves the p99 at equal throughput here.
            if n > 0 { sched_yield() }
            if now >= nextSweep {
                sweep()
                nextSweep = now + tick
            }
            if draining, connections.isEmpty { break }
        }
        for connection in Array(connections.values) { connection.close() }
        close(epfd)
        close(wakeFD)
        readBuffer.deallocate()
        onExit()
    }

    private func runTasks() {
        taskLock.lock()
        let pending = tasks
        tasks.removeAll(keepingCapacity: true)
        wakePending = false
        taskLock.unlock()
        for task in pending { task() }
    }

    private func refreshDate() {
        let second = time(nil)
        if second != cachedSecond {
            cachedSecond = second
            dateField = Array("Date: \(HTTPDate.format(unixSeconds: Int64(second)))\r\n".utf8)
        }
    }

    private func closeListener() {
        guard listenFD >= 0 else { return }
        if !listenPaused { Posix.epollDelete(epfd, listenFD) }
        close(listenFD)
        listenFD = -1
    }

    private func acceptConnections() {
        for _ in 0..<128 {
            let result: IOResult<(Int32, String)>
            do {
                result = try Posix.accept(listenFD)
            } catch let error as SystemError {
                if error.errno == EMFILE || error.errno == ENFILE || error.errno == ENOBUFS || error.errno == ENOMEM {
                    // Out of descriptors: stop polling the listener until the next sweep.
                    context.logger.warning("accept paused: \(error)")
                    Posix.epollDelete(epfd, listenFD)
                    listenPaused = true
                    return
                }
                continue  // ECONNABORTED and friends concern only that one client
            } catch {
                return
            }
            guard case .done(let (fd, peer)) = result else { return }
            if connections.count >= maxConnections {
                close(fd)
                continue
            }
            try? Posix.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            let connection = Connection(fd: fd, remoteAddress: peer, loop: self)
            do {
                try Posix.epollAdd(epfd, fd, events: Posix.EPOLLIN | Posix.EPOLLOUT | Posix.EPOLLRDHUP | Posix.EPOLLET)
            } catch {
                close(fd)
                continue
            }
            connections[fd] = connection
        }
    }

    func removeConnection(_ fd: Int32) {
        connections[fd] = nil
    }

    /// Timeouts, and closing what a shutdown no longer waits for.
    private func sweep() {
        if listenPaused, listenFD >= 0, !draining {
            if (try? Posix.epollAdd(epfd, listenFD, events: Posix.EPOLLIN)) != nil { listenPaused = false }
        }
        let c = context.configuration
        let forceClose = draining && now >= drainDeadline
        for connection in Array(connections.values) {
            if forceClose {
                connection.close()
            } else {
                connection.checkTimeouts(now: now, headerTimeout: c.headerTimeout, idleTimeout: c.idleTimeout, draining: draining)
            }
        }
    }
}
