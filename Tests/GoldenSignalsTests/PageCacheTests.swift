import Foundation
@testable import GoldenSignals
import HTTPServer
import Testing

/// The signal list's page cache: fresh pages are served, a new version drops them at once, and an
/// expired page is recomputed by one request while the others are still served.
@Suite struct PageCacheTests {
    final class Version: @unchecked Sendable {
        let lock = NSLock()
        var value: Int64? = 1
        func get() -> Int64? { lock.withLock { value } }
        func set(_ v: Int64?) { lock.withLock { value = v } }
    }

    static func body(_ r: Response?) -> String? {
        guard let r, case .bytes(let b) = r.body else { return nil }
        return String(decoding: b, as: UTF8.self)
    }

    @Test func freshStaleAndVersioned() {
        let version = Version()
        let cache = PageCache(ttl: 0.2, version: { version.get() })
        let request = Request(method: .GET, target: "/api/v1/signals?limit=5")
        #expect(cache.answer(request) == nil)
        cache.store(request, body: Array("page 1".utf8), demo: false, version: version.get())
        #expect(Self.body(cache.answer(request)) == "page 1")

        // Its ETag answers 304 without a body.
        let etag = cache.answer(request)?.headers["ETag"] ?? ""
        let conditional = Request(method: .GET, target: "/api/v1/signals?limit=5", headers: HTTPHeaders([("If-None-Match", etag)]))
        #expect(cache.answer(conditional)?.status == .notModified)

        // Time is up: the first request recomputes, the next ones still get the page meanwhile.
        usleep(250_000)
        #expect(cache.answer(request) == nil)
        #expect(Self.body(cache.answer(request)) == "page 1")
        cache.store(request, body: Array("page 2".utf8), demo: false, version: version.get())
        #expect(Self.body(cache.answer(request)) == "page 2")

        // A signal stored anywhere moves the version: the page is never served again.
        version.set(2)
        #expect(cache.answer(request) == nil)
        #expect(cache.answer(request) == nil)
        // While the version is unknown (not listening), nothing is cached.
        version.set(nil)
        cache.store(request, body: Array("page 3".utf8), demo: false, version: version.get())
        #expect(cache.answer(request) == nil)
    }

    /// Load resuming after a quiet spell (the page far past its time): one request recomputes, the
    /// others are still served the page instead of all querying at once; a recomputation that never
    /// stores (its request failed) holds the others only for the refresh bound.
    @Test func aQuietSpellDoesNotStampede() {
        let version = Version()
        let cache = PageCache(ttl: 0.05, refreshBound: 0.3, version: { version.get() })
        let request = Request(method: .GET, target: "/api/v1/signals?limit=5")
        cache.store(request, body: Array("page 1".utf8), demo: false, version: version.get())
        usleep(200_000)   // four times the page's time
        #expect(cache.answer(request) == nil)   // this one recomputes
        for _ in 0..<20 { #expect(Self.body(cache.answer(request)) == "page 1") }
        usleep(350_000)   // the recomputation never stored: another request may try
        #expect(cache.answer(request) == nil)
        #expect(Self.body(cache.answer(request)) == "page 1")
        cache.store(request, body: Array("page 2".utf8), demo: false, version: version.get())
        #expect(Self.body(cache.answer(request)) == "page 2")
    }

    /// After new signals (the version moves), concurrent requests for one page run one query: the first
    /// leads, the others wait for its page; a lead that fails lets the next waiter lead instead.
    @Test func concurrentRequestsAfterNewSignalsComputeThePageOnce() {
        let version = Version()
        let cache = PageCache(ttl: 10, refreshBound: 3, version: { version.get() })
        let request = Request(method: .GET, target: "/api/v1/signals?limit=50")
        cache.store(request, body: Array("page 1".utf8), demo: false, version: version.get())
        version.set(2)
        #expect(cache.answer(request) == nil)   // the old page is never served again

        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var bodies: [String] = []
            func add(_ b: String) { lock.withLock { bodies.append(b) } }
        }
        let results = Results()
        let group = DispatchGroup()
        for _ in 0..<8 {
            DispatchQueue.global().async(group: group) {
                let v = version.get()
                if let shared = cache.joinOrLead(request, version: v) {
                    results.add(Self.body(shared) ?? "?")
                } else {   // the leader: a slow query, then its page
                    usleep(200_000)
                    cache.store(request, body: Array("page 2".utf8), demo: false, version: v)
                    results.add("led")
                }
            }
        }
        #expect(group.wait(timeout: .now() + 5) == .success)
        #expect(cache.leads == 1)
        #expect(results.bodies.sorted() == ["led"] + Array(repeating: "page 2", count: 7))

        // A lead that fails: a waiter stops waiting at once and leads itself.
        version.set(3)
        #expect(cache.joinOrLead(request, version: 3) == nil)   // leads
        let started = Date()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) { cache.abandon(request, version: 3) }
        #expect(cache.joinOrLead(request, version: 3) == nil)   // waited for the first, then leads
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(cache.leads == 3)
    }

    /// A client that accepts gzip gets the page gzip-coded (once per page, then kept) under its own tag;
    /// either tag answers 304; a client that does not gets the page as it is.
    @Test func gzipForClientsThatAcceptIt() throws {
        let version = Version()
        let cache = PageCache(ttl: 10, version: { version.get() })
        let page = Array(String(repeating: #"{"id":"6f1c1a52","layers":[{"layer":"liquidity","passed":true}]},"#, count: 100).utf8)
        let plain = Request(method: .GET, target: "/api/v1/signals?limit=50")
        let gzipping = Request(method: .GET, target: "/api/v1/signals?limit=50", headers: HTTPHeaders([("Accept-Encoding", "gzip, deflate, br")]))
        let etag = cache.store(plain, body: page, demo: false, version: version.get())

        let identity = try #require(cache.answer(plain))
        #expect(identity.headers["Content-Encoding"] == nil && identity.headers["ETag"] == etag)
        #expect(identity.headers.values("Vary").contains("Accept-Encoding"))
        guard case .bytes(let raw) = identity.body else { Issue.record("no body"); return }
        #expect(raw == page)

        let coded = try #require(cache.answer(gzipping))
        #expect(coded.headers["Content-Encoding"] == "gzip")
        let gzTag = try #require(coded.headers["ETag"])
        #expect(gzTag != etag && gzTag.hasSuffix("-gz\""))
        #expect(coded.headers.values("Vary").contains("Accept-Encoding"))
        guard case .bytes(let packed) = coded.body else { Issue.record("no body"); return }
        #expect(packed.count < page.count / 5)
        #expect(Gzip.decompress(packed) == page)

        for tag in [etag, gzTag, "W/" + gzTag, "\"other\", " + gzTag] {
            let conditional = Request(method: .GET, target: "/api/v1/signals?limit=50",
                                      headers: HTTPHeaders([("Accept-Encoding", "gzip"), ("If-None-Match", tag)]))
            #expect(cache.answer(conditional)?.status == .notModified, "If-None-Match: \(tag)")
        }
        let refused = Request(method: .GET, target: "/api/v1/signals?limit=50", headers: HTTPHeaders([("Accept-Encoding", "gzip;q=0")]))
        #expect(cache.answer(refused)?.headers["Content-Encoding"] == nil)
    }
}
