import Foundation
import HTTPServer

/// Rendered GET pages kept for a short time and only while a version token is unchanged, so that
/// repeated requests are answered on the event loop without touching the database.
///
/// When a page's time is up but nothing was stored since (the version is unchanged), one request
/// recomputes it while the others keep getting the old page until it is stored (or, should that request
/// fail, for at most `refreshBound` seconds): no stampede of identical queries each second, nor when
/// load resumes after a quiet spell. A page is never served once the version has moved.
///
/// After the version moves (signals were stored), the first request for a page computes it and the
/// others for the same page wait for that result on their worker threads (`joinOrLead`, never on the
/// event loop), for at most `refreshBound`, instead of each running the same query.
final class PageCache: @unchecked Sendable {
    struct Entry {
        let body: [UInt8]
        /// The body gzip-coded, made at the first request that accepts gzip.
        var gzipped: [UInt8]?
        let etag: String
        /// The tag of the gzip representation (`ConditionalGET.gzipTag(etag)`).
        let gzipETag: String
        let demo: Bool
        let version: Int64
        let madeAt: UInt64
    }

    /// Guards the tables below; waiters for a page being computed wait on it.
    private let lock = NSCondition()
    private var entries: [String: Entry] = [:]
    /// Keys whose expired page one request is recomputing, with when it started.
    private var refreshing: [String: UInt64] = [:]
    /// Keys whose page one request is computing for a version no stored page has, with when it started.
    private var computing: [String: (version: Int64, started: UInt64)] = [:]
    /// Pages computed by requests that led (for tests and diagnosis).
    private(set) var leads = 0
    /// How long other requests wait on one request's recomputation before another may try.
    private let refreshBound: UInt64
    private let ttlNanoseconds: UInt64
    private let capacity: Int
    private let version: @Sendable () -> Int64?

    /// - Parameters:
    ///   - ttl: how long a page may be served (pages whose content also depends on the clock go stale).
    ///   - version: the current token, nil when nothing may be cached.
    ///   - refreshBound: how long a recomputation may take before another request may try (seconds).
    init(ttl: Double, capacity: Int = 1_024, refreshBound: Double = 5, version: @escaping @Sendable () -> Int64?) {
        ttlNanoseconds = UInt64(ttl * 1e9)
        self.refreshBound = UInt64(refreshBound * 1e9)
        self.capacity = capacity
        self.version = version
    }

    /// The cache key of a request: its path and query as sent.
    static func key(_ request: Request) -> String { request.target }

    /// A cached page for the request as a response (304 when its ETag matches), or nil.
    func answer(_ request: Request) -> Response? {
        guard let current = version() else { return nil }
        let key = Self.key(request)
        let now = DispatchTime.now().uptimeNanoseconds
        let entry = lock.withLock { () -> Entry? in
            guard let e = entries[key], e.version == current else { return nil }
            let age = now &- e.madeAt
            if age < ttlNanoseconds { return e }
            // Expired by time only: the first request refreshes, the others get this page meanwhile.
            if let started = refreshing[key], now &- started < refreshBound { return e }
            refreshing[key] = now
            return nil
        }
        guard let e = entry else { return nil }
        return respond(request, e, key: key)
    }

    /// The page as a response, gzip-coding it first when this is the first client that accepts gzip.
    private func respond(_ request: Request, _ entry: Entry, key: String) -> Response {
        var e = entry
        if e.gzipped == nil, ConditionalGET.codes(request, e.body), !ConditionalGET.matches(request, e.etag, gzipETag: e.gzipETag),
           let compressed = ConditionalGET.gzip(e.body) {
            e.gzipped = compressed
            lock.withLock {
                if entries[key]?.madeAt == e.madeAt, entries[key]?.version == e.version { entries[key]?.gzipped = compressed }
            }
        }
        return ConditionalGET.respond(request, body: e.body, contentType: "application/json", demo: e.demo, etag: e.etag,
                                      gzipped: e.gzipped, gzipETag: e.gzipETag)
    }

    /// Called by a handler about to compute a page under `version` (on a worker thread: it may wait).
    /// When another request is already computing this page for this version, waits for its result (at
    /// most `refreshBound`) and answers with it; otherwise this request leads: it computes and `store`s
    /// (or `abandon`s), and the answer is nil.
    func joinOrLead(_ request: Request, version: Int64?) -> Response? {
        guard let version else { return nil }
        let key = Self.key(request)
        let entry = lock.withLock { () -> Entry? in
            let start = DispatchTime.now().uptimeNanoseconds
            while true {
                let now = DispatchTime.now().uptimeNanoseconds
                // A page of this version still within its time (one that expired is being refreshed by this request).
                if let e = entries[key], e.version == version, now &- e.madeAt < ttlNanoseconds { return e }
                guard let c = computing[key], c.version == version, now &- c.started < refreshBound else { break }
                let left = Double(refreshBound - min(refreshBound, now &- start)) / 1e9
                if left <= 0 || !lock.wait(until: Date(timeIntervalSinceNow: left)) { break }
            }
            computing[key] = (version, DispatchTime.now().uptimeNanoseconds)
            leads += 1
            return nil
        }
        return entry.map { respond(request, $0, key: key) }
    }

    /// Gives up leading the computation of a page (it failed): the requests waiting for it stop waiting.
    func abandon(_ request: Request, version: Int64?) {
        guard let version else { return }
        let key = Self.key(request)
        lock.withLock {
            if computing[key]?.version == version {
                computing.removeValue(forKey: key)
                lock.broadcast()
            }
        }
    }

    /// The version to stamp on a page about to be computed (read before the data is).
    func currentVersion() -> Int64? { version() }

    /// Keeps a page computed under `version`.
    /// - Returns: the page's entity tag (computed once, for the response too).
    @discardableResult
    func store(_ request: Request, body: [UInt8], demo: Bool, version: Int64?) -> String {
        let etag = ConditionalGET.tag(body)
        guard let version else { return etag }
        let entry = Entry(body: body, gzipped: nil, etag: etag, gzipETag: ConditionalGET.gzipTag(etag), demo: demo, version: version,
                          madeAt: DispatchTime.now().uptimeNanoseconds)
        let key = Self.key(request)
        lock.withLock {
            if entries.count >= capacity {
                entries.removeAll(keepingCapacity: true)
                refreshing.removeAll(keepingCapacity: true)
                computing.removeAll(keepingCapacity: true)
            }
            entries[key] = entry
            refreshing.removeValue(forKey: key)
            if let c = computing[key], c.version <= version { computing.removeValue(forKey: key) }
            lock.broadcast()
        }
        return etag
    }
}
