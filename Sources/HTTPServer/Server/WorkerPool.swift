/// A fixed set of threads running blocking handlers, fed by a bounded queue.
///
/// `submit` never blocks: when the queue is full it refuses, and the server answers 503.
final class WorkerPool: @unchecked Sendable {
    typealias Job = @Sendable () -> Void

    private let lock = ConditionLock()
    private var queue: [Job?] = []
    private var head = 0
    private let threadCount: Int
    private let depth: Int
    private var stopping = false
    private var alive = 0
    private var busy = 0
    private var refused = 0

    init(threads: Int, queueDepth: Int) {
        threadCount = max(1, threads)
        depth = max(1, queueDepth)
    }

    func start() {
        lock.withLock { alive = threadCount }
        for i in 0..<threadCount {
            Posix.startThread(name: "http-worker-\(i)") { [self] in run() }
        }
    }

    /// Queues a job; false when `depth` jobs are already waiting (unless `force`) or the pool stopped.
    func submit(force: Bool = false, _ job: @escaping Job) -> Bool {
        lock.lock()
        if stopping || (!force && queue.count - head >= depth) {
            if !stopping { refused += 1 }
            lock.unlock()
            return false
        }
        queue.append(job)
        lock.unlock()
        lock.signal()
        return true
    }

    /// Threads, threads running a job, jobs waiting, and jobs refused so far because the queue was full.
    var statistics: WorkerPoolStatistics {
        lock.lock()
        defer { lock.unlock() }
        return WorkerPoolStatistics(threads: threadCount, busy: busy, queued: queue.count - head, queueLimit: depth, refused: refused)
    }

    private func run() {
        var ran = false
        while true {
            lock.lock()
            if ran { busy -= 1 }  // the previous job's end, counted under the lock taken for the next one
            while head == queue.count, !stopping { lock.wait() }
            if head == queue.count {
                alive -= 1
                lock.unlock()
                lock.broadcast()
                return
            }
            let job = queue[head]!
            queue[head] = nil
            head += 1
            if head > 1024, head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            busy += 1
            ran = true
            lock.unlock()
            job()
        }
    }

    /// Lets queued jobs finish, then stops the threads; gives up waiting at `deadline` (monotonic seconds).
    func shutdown(deadline: Double) {
        lock.lock()
        stopping = true
        lock.broadcast()
        while alive > 0, monotonicNow() < deadline { lock.wait(untilMonotonic: deadline) }
        lock.unlock()
    }
}

/// A snapshot of the worker pool, for metrics.
public struct WorkerPoolStatistics: Sendable, Equatable {
    /// Worker threads.
    public var threads: Int
    /// Threads running a job now.
    public var busy: Int
    /// Jobs waiting for a thread.
    public var queued: Int
    /// Waiting jobs beyond which new ones are refused (503).
    public var queueLimit: Int
    /// Jobs refused so far because the queue was full.
    public var refused: Int

    public init(threads: Int, busy: Int, queued: Int, queueLimit: Int, refused: Int) {
        self.threads = threads
        self.busy = busy
        self.queued = queued
        self.queueLimit = queueLimit
        self.refused = refused
    }
}
