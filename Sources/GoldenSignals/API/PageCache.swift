import Foundation
import HTTPServer

/// Rendered GET pages kept for a short time and only while a version token is unchanged, so that
/// repeated requests are answered on the event loop without touching the database.
///
/// When a page's time is up but nothing was stored since (the version is unchanged), one request
/// recomputes it while the others keep getting the old page until it is stored (or, should that request
/// fail, for at most `refreshBound` seconds): no stampede of identical queries each second, nor when
/// load resumes after a quiet spell. A page is never served once the version has moved.
final class PageCache: @unchecked Sendable {
    struct Entry {
        let body: [UInt8]
        /// The body gzip-coded, made at the first request that accepts gzip.
        var gzipped: [UInt8]?
        let etag: String
        let demo: Bool
        let version: Int64
        let madeAt: UInt64
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    /// Keys whose expired page one request is recomputing, with when it started.
    private var refreshing: [String: UInt64] = [:]
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
        guard var e = entry else { return nil }
        if e.gzipped == nil, ConditionalGET.codes(request, e.body), !ConditionalGET.matches(request, e.etag),
           let compressed = ConditionalGET.gzip(e.body) {
            e.gzipped = compressed
            lock.withLock {
                if entries[key]?.madeAt == e.madeAt, entries[key]?.version == e.version { entries[key]?.gzipped = compressed }
            }
        }
        return ConditionalGET.respond(request, body: e.body, contentType: "application/json", demo: e.demo, etag: e.etag,
                                      gzipped: e.gzipped)
    }

    /// The version to stamp on a page about to be computed (read before the data is).
    func currentVersion() -> Int64? { version() }

    /// Keeps a page computed under `version`.
    /// - Returns: the page's entity tag (computed once, for the response too).
    @discardableResult
    func store(_ request: Request, body: [UInt8], demo: Bool, version: Int64?) -> String {
        let etag = ConditionalGET.tag(body)
        guard let version else { return etag }
        let entry = Entry(body: body, gzipped: nil, etag: etag, demo: demo, version: version,
                          madeAt: DispatchTime.now().uptimeNanoseconds)
        let key = Self.key(request)
        lock.withLock {
            if entries.count >= capacity {
                entries.removeAll(keepingCapacity: true)
                refreshing.removeAll(keepingCapacity: true)
            }
            entries[key] = entry
            refreshing.removeValue(forKey: key)
        }
        return etag
    }
}
