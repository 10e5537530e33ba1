import Dispatch
import Foundation
@testable import HTTPServer
import Testing

@Suite struct WorkerPoolTests {
    @Test func statisticsCountBusyQueuedAndRefused() throws {
        let pool = WorkerPool(threads: 1, queueDepth: 1)
        pool.start()
        defer { pool.shutdown(deadline: monotonicNow() + 2) }
        let running = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        #expect(pool.submit { running.signal(); release.wait(); done.signal() })
        running.wait()
        #expect(pool.submit { done.signal() })
        #expect(!pool.submit { })  // the queue holds one: refused (the server answers 503)
        #expect(pool.statistics == WorkerPoolStatistics(threads: 1, busy: 1, queued: 1, queueLimit: 1, refused: 1))
        release.signal()
        done.wait(); done.wait()
        var waited = 0.0
        while pool.statistics.busy > 0, waited < 5 { Thread.sleep(forTimeInterval: 0.01); waited += 0.01 }
        #expect(pool.statistics == WorkerPoolStatistics(threads: 1, busy: 0, queued: 0, queueLimit: 1, refused: 1))
    }
}
