import Foundation
import HTTPServer
import Logging
import Primitives
import Synchronization

/// How access is configured (`GS_AUTH`, `GS_AUTH_OPEN_PATHS`, `GS_ANON_RATE`, `GS_ANON_BURST`).
public struct AccessSettings: Sendable {
    /// `required`, `off`, or nil: decided by the listening address (required unless loopback).
    public enum Mode: String, Sendable { case required, off }
    public var mode: Mode?
    /// Route patterns open to anyone (probes), even when keys are required.
    public var openPaths: Set<String> = AccessSettings.defaultOpenPaths
    /// The token bucket for anonymous clients, per client address; nil: anonymous clients are not limited.
    public var anonymousRate: Double?
    public var anonymousBurst: Int = 40

    public static let defaultOpenPaths: Set<String> = ["/health", "/health/live", "/health/ready", "/metrics", "/openapi.yaml", "/dashboard"]

    public init() {}

    /// Reads the settings from the environment.
    /// - Throws: `ConfigurationError` naming the variable when a value is malformed.
    public static func fromEnvironment(_ env: [String: String]) throws -> AccessSettings {
        var s = AccessSettings()
        if let v = env["GS_AUTH"], !v.isEmpty {
            switch v.lowercased() {
            case "required", "on": s.mode = .required
            case "off": s.mode = .off
            case "auto": s.mode = nil
            default: throw ConfigurationError(variable: "GS_AUTH", message: "must be required, off or auto")
            }
        }
        if let v = env["GS_AUTH_OPEN_PATHS"] {
            s.openPaths = Set(v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        if let v = env["GS_ANON_RATE"], !v.isEmpty, v.lowercased() != "off" {
            guard let r = parseRate(v) else { throw ConfigurationError(variable: "GS_ANON_RATE", message: "must be requests per second, e.g. 20/s, or off") }
            s.anonymousRate = r
        }
        if let v = env["GS_ANON_BURST"], !v.isEmpty {
            guard let b = Int(v), b >= 1 else { throw ConfigurationError(variable: "GS_ANON_BURST", message: "must be an integer ≥ 1") }
            s.anonymousBurst = b
        }
        return s
    }

    /// `20/s`, `20`, `600/m`, `3600/h` → tokens per second; nil when malformed or not positive.
    public static func parseRate(_ text: String) -> Double? {
        let parts = text.lowercased().split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let n = Double(first), n > 0, n <= 1_000_000, n.isFinite else { return nil }
        let perSecond: Double
        if parts.count == 2 {
            switch parts[1] {
            case "s", "sec", "second": perSecond = n
            case "m", "min", "minute": perSecond = n / 60
            case "h", "hour": perSecond = n / 3600
            default: return nil
            }
        } else {
            perSecond = n
        }
        // A vanishing rate makes every wait infinite (1e-320/s).
        return perSecond >= 1e-6 ? perSecond : nil
    }

    /// Whether keys are required when listening on `host`.
    public func required(host: String) -> Bool {
        mode.map { $0 == .required } ?? !Self.isLoopback(host)
    }

    /// Loopback addresses and names.
    public static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        return h == "localhost" || h == "::1" || h == "[::1]" || h.hasPrefix("127.")
    }
}

/// Which scope a route needs: admin for symbol creation and keys; read for GET/HEAD; write otherwise.
/// Webhooks of other keys are checked by their handlers (they need admin).
public enum RouteScopes {
    public static func required(method: HTTPMethod, pattern: String) -> Scope {
        if hasBytePrefix(pattern, "/api/v1/keys") { return .admin }
        if method == .POST, pattern == "/api/v1/symbols" { return .admin }
        if method == .GET || method == .HEAD || method == .OPTIONS { return .read }
        return .write
    }
}

/// Whether `s` starts with the bytes of `prefix`: a route pattern is ASCII, so no Unicode comparison
/// (`hasPrefix`) and no generic walk over the view's elements (`utf8.starts(with:)`) is needed.
func hasBytePrefix(_ s: String, _ prefix: StaticString) -> Bool {
    let n = prefix.utf8CodeUnitCount
    return s.utf8.withContiguousStorageIfAvailable { $0.count >= n && memcmp($0.baseAddress!, prefix.utf8Start, n) == 0 }
        ?? s.hasPrefix(prefix.description)
}

/// A verified key with what every request through it needs, computed once per cache entry (a class:
/// passing it along a request costs one reference count, not one per field).
public final class VerifiedKey: Sendable {
    public let record: APIKeyRecord
    /// The `RateLimit-Policy` value of the key's bucket.
    public let policy: String
    // What every request reads, copied out of `record`: reading a field of the record through this class
    // retained and released each of its strings and arrays (about 40 atomic operations a request).
    let rate: Double
    let burst: Int
    /// The bucket's `KeyUsage.cell`.
    let cell: (interval: Int64, tolerance: Int64)
    private let revokedAt: Int64?
    private let expiresAt: Int64?
    private let widestScope: Scope?

    init(_ record: APIKeyRecord) {
        self.record = record
        policy = AccessMiddleware.policy(rate: record.rate, burst: record.burst)
        (rate, burst, revokedAt, expiresAt) = (record.rate, record.burst, record.revokedAt, record.expiresAt)
        cell = KeyUsage.cell(rate: rate, burst: burst)
        widestScope = record.scopes.max()
    }

    /// `record.grants(scope)`.
    func grants(_ scope: Scope) -> Bool { APIKeyRecord.grants(scope, widest: widestScope) }

    /// `record.isActive(at:)`.
    func isActive(at now: Int64) -> Bool { APIKeyRecord.isActive(at: now, revokedAt: revokedAt, expiresAt: expiresAt) }
}

/// What a replica keeps about a key id while it runs: its rate-limit bucket and when it was last used.
/// Both are atomics, so that a request through a known key takes no lock.
final class KeyUsage: Sendable {
    /// The bucket as GCRA's theoretical arrival time, in monotonic nanoseconds.
    let bucket = Atomic<Int64>(0)
    /// Unix seconds of the last use (0: none since start), and the value last written to the database.
    let lastUsed = Atomic<Int64>(0)
    let written = Atomic<Int64>(0)

    /// GCRA's emission interval and tolerance, in nanoseconds, of a bucket of `rate` tokens per second
    /// holding up to `burst`.
    static func cell(rate: Double, burst: Int) -> (interval: Int64, tolerance: Int64) {
        // Bounded so that no sum in `take` can overflow, whatever rate and burst a key was given: a token
        // at most every 10^15 ns (11.6 days), a burst spanning at most 10^17 ns (3.2 years).
        let interval = min(1_000_000_000_000_000, max(1, Int64(saturating: (1e9 / rate).rounded(.up))))
        return (interval, min(100_000_000_000_000_000, Int64(saturating: Double(interval) * Double(max(0, burst - 1)))))
    }

    /// Takes one token from the bucket whose `cell` is given, as the generic cell rate algorithm does (a
    /// token bucket kept as one instant: no lock, one compare-and-swap).
    func take(_ cell: (interval: Int64, tolerance: Int64), now: Int64) -> RateLimiter.Decision {
        let (interval, tolerance) = cell
        var old = bucket.load(ordering: .relaxed)
        while true {
            let start = max(old, now)
            if start - now > tolerance {
                let wait = start - tolerance - now
                return RateLimiter.Decision(allowed: false, remaining: 0, reset: max(1, Int((wait + 999_999_999) / 1_000_000_000)))
            }
            let next = start &+ interval
            let (exchanged, current) = bucket.compareExchange(expected: old, desired: next, ordering: .relaxed)
            if exchanged {
                let remaining = Int((tolerance &+ interval &- (next - now)) / interval)
                return RateLimiter.Decision(allowed: true, remaining: max(0, remaining),
                                            reset: Int((next - now + 999_999_999) / 1_000_000_000))
            }
            old = current
        }
    }

    /// Records a use at `wall` (Unix seconds) unless one was recorded in that second already.
    func used(at wall: Int64) {
        if lastUsed.load(ordering: .relaxed) != wall { lastUsed.store(wall, ordering: .relaxed) }
    }
}

/// Verifies presented keys against an in-memory cache of `api_keys` rows (each row re-read after
/// `ttl` seconds, so a revocation made by another replica takes effect within it; revocations made
/// here take effect at once), and records last use in memory, written to the database by `flush()`.
///
/// The first use of a key in a cache period compares the SHA-256 of the presented secret with the
/// stored one; the secret so verified is then kept in memory (never stored or logged) and later
/// requests compare it in constant time, without hashing again, from a per-thread copy of the cache:
/// a request through a known key takes no lock.
public final class KeyVerifier: @unchecked Sendable {
    /// A key id's cache entry; a verified one is also the `principal` of the requests made with it.
    public final class Entry: Sendable {
        public let key: VerifiedKey?
        let fetched: Double
        let verifiedSecret: SecretText?
        let usage: KeyUsage?

        init(key: VerifiedKey?, fetched: Double, verifiedSecret: SecretText?, usage: KeyUsage?) {
            self.key = key
            self.fetched = fetched
            self.verifiedSecret = verifiedSecret
            self.usage = usage
        }

        /// Whether this entry, fetched less than `ttl` ago, verified `secret` before and its key is
        /// active at `wall` (Unix seconds); if so, records the use.
        func admits(_ secret: SecretText, now: Double, ttl: Double, wall: Int64) -> Bool {
            guard now - fetched < ttl, let key, let usage, let verifiedSecret, verifiedSecret.equals(secret),
                  key.isActive(at: wall) else { return false }
            usage.used(at: wall)
            return true
        }
    }

    /// One thread's copy of verified entries, dropped whenever `generation` moves.
    final class Local {
        var entries: [UInt64: Entry] = [:]
        var generation = -1
        /// The entry this thread used last and its id (a client keeps sending the same key: no hashing).
        var last: Entry?
        var lastID = UInt64.max   // ids have 48 bits

        func keep(_ entry: Entry, for id: UInt64) {
            if entries.count >= KeyVerifier.maxCached { entries.removeAll(keepingCapacity: true) }
            entries[id] = entry
            (last, lastID) = (entry, id)
        }

        func clear(generation: Int) {
            entries.removeAll(keepingCapacity: true)
            (last, lastID) = (nil, .max)
            self.generation = generation
        }

        /// The entry kept for `id`, if any.
        func entry(_ id: UInt64) -> Entry? {
            if id == lastID { return last }
            guard let e = entries[id] else { return nil }
            (last, lastID) = (e, id)
            return e
        }
    }

    let store: KeyStore
    let ttl: Double
    private let lock = NSLock()
    private var cache: [String: Entry] = [:]
    private var usages: [String: KeyUsage] = [:]
    /// Moves when a key is forgotten: every thread drops its copy.
    private let generation = Atomic<Int>(0)
    private let local = ThreadLocal { Local() }
    fileprivate static let maxCached = 10_000

    public init(store: KeyStore, ttl: Double = 10) {
        self.store = store
        self.ttl = ttl
    }

    /// The active key that `text` is, or nil (unknown id, wrong secret, revoked, expired — alike).
    public func verify(_ text: Substring) throws -> VerifiedKey? {
        try verifiedEntry(text)?.key
    }

    /// The cache entry of the active key that `text` is (its key and usage are set), or nil.
    func verifiedEntry(_ text: Substring) throws -> Entry? {
        guard let presented = PresentedKey(text) else { return nil }
        return try verifiedEntry(presented)
    }

    /// The cache entry of the active key `presented` is (its key and usage are set), or nil.
    /// - Parameter monotonic: `CLOCK_MONOTONIC_COARSE` in nanoseconds, when the caller has read it.
    func verifiedEntry(_ presented: PresentedKey, monotonic: Int64 = coarseNanoseconds(CLOCK_MONOTONIC_COARSE)) throws -> Entry? {
        // Coarse clocks (a few milliseconds' resolution, no hardware counter read): the cache lives
        // 10 s and expiry is in seconds.
        let now = Double(monotonic) * 1e-9
        let wall = coarseNanoseconds(CLOCK_REALTIME_COARSE) / 1_000_000_000
        // Fast path: this secret was verified for this id in the current cache period.
        let mine = local.value
        let current = generation.load(ordering: .acquiring)
        if mine.generation != current { mine.clear(generation: current) }
        if let e = mine.entry(presented.idBits), e.admits(presented.secret, now: now, ttl: ttl, wall: wall) { return e }

        var key: VerifiedKey?
        var usage: KeyUsage?
        let cached = lock.withLock { cache[presented.id] }
        if let cached, now - cached.fetched < ttl {
            // Verified by another thread: copied into this thread's cache.
            if cached.admits(presented.secret, now: now, ttl: ttl, wall: wall) {
                mine.keep(cached, for: presented.idBits)
                return cached
            }
            key = cached.key
            usage = cached.usage
        } else {
            key = try store.find(id: presented.id).map(VerifiedKey.init)
            usage = key.map { k in lock.withLock { usages[k.record.id] ?? { let u = KeyUsage(); usages[k.record.id] = u; return u }() } }
            let entry = Entry(key: key, fetched: now, verifiedSecret: nil, usage: usage)
            lock.withLock {
                if cache.count >= Self.maxCached { cache.removeAll(keepingCapacity: true) }
                cache[presented.id] = entry
            }
        }
        // Hash even when the id is unknown, so that timing does not tell whether the id exists.
        let hash = Crypto.sha256(presented.secret.bytes)
        guard let key, let usage, Crypto.constantTimeEqual(hash, key.record.secretSHA256) else { return nil }
        guard key.isActive(at: wall) else { return nil }
        let verified = lock.withLock { () -> Entry? in
            guard let e = cache[presented.id], e.key != nil else { return nil }
            let v = Entry(key: e.key, fetched: e.fetched, verifiedSecret: presented.secret, usage: e.usage)
            cache[presented.id] = v
            return v
        }
        usage.used(at: wall)
        guard let verified else {   // forgotten meanwhile: verified all the same, not kept
            return Entry(key: key, fetched: now, verifiedSecret: presented.secret, usage: usage)
        }
        mine.keep(verified, for: presented.idBits)
        return verified
    }

    /// Forgets a key at once (after a revocation here), in every thread's copy too.
    public func forget(id: String) {
        lock.withLock { _ = cache.removeValue(forKey: id) }
        generation.add(1, ordering: .releasing)
    }

    /// Writes the pending last-use times.
    public func flush() throws {
        let pending = lock.withLock { () -> [String: Int64] in
            var out: [String: Int64] = [:]
            for (id, u) in usages {
                let t = u.lastUsed.load(ordering: .relaxed)
                if t != 0, t != u.written.load(ordering: .relaxed) { out[id] = t }
            }
            return out
        }
        try store.touch(pending)
        lock.withLock {
            for (id, t) in pending { usages[id]?.written.store(t, ordering: .relaxed) }
        }
    }
}

/// Nanoseconds on `clock` (a coarse one is cheap: no hardware counter is read).
func coarseNanoseconds(_ clock: clockid_t) -> Int64 {
    var ts = timespec()
    clock_gettime(clock, &ts)
    return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
}

/// Nanoseconds on the monotonic clock.
public func monotonicNanoseconds() -> Int64 { coarseNanoseconds(CLOCK_MONOTONIC) }

/// Seconds on the monotonic clock.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Token buckets by partition key, in memory (per replica: with N replicas a client may get up to N
/// times its rate when its requests are spread across them).
public final class RateLimiter: @unchecked Sendable {
    struct Bucket { var tokens: Double; var last: Double }
    private let lock = NSLock()
    private var buckets: [String: Bucket] = [:]
    private var lastSweep = monotonicSeconds()

    public init() {}

    /// The outcome of taking one token.
    public struct Decision: Sendable {
        public var allowed: Bool
        public var remaining: Int
        /// Seconds until the bucket is full again (allowed) or until one token is available (refused).
        public var reset: Int
    }

    /// Takes one token from `key`'s bucket of `rate` tokens per second and size `burst`.
    public func take(_ key: String, rate: Double, burst: Int, now: Double = monotonicSeconds()) -> Decision {
        let capacity = Double(burst)
        return lock.withLock {
            if now - lastSweep > 60 { sweep(now) }
            var b = buckets[key] ?? Bucket(tokens: capacity, last: now)
            b.tokens = min(capacity, b.tokens + max(0, now - b.last) * rate)
            b.last = now
            let allowed = b.tokens >= 1
            if allowed { b.tokens -= 1 }
            buckets[key] = b
            let reset = allowed ? Int(saturating: ((capacity - b.tokens) / rate).rounded(.up)) : Int(saturating: ((1 - b.tokens) / rate).rounded(.up))
            return Decision(allowed: allowed, remaining: Int(b.tokens), reset: max(allowed ? 0 : 1, reset))
        }
    }

    /// Drops buckets that are full again (they carry no state).
    private func sweep(_ now: Double) {
        lastSweep = now
        buckets = buckets.filter { now - $0.value.last < 3600 }
    }
}

/// Authentication, authorization and rate limiting in one pass: the key (Bearer or `X-API-Key`) is
/// verified, the route's scope checked, and a token taken from the key's bucket (or the client
/// address's, for anonymous clients when `GS_ANON_RATE` is set). 401 (with `WWW-Authenticate`),
/// 403 naming the scope and 429 (with `Retry-After`) are problem+json; responses that went through a
/// bucket carry `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers).
/// Open paths (probes) are neither authenticated nor limited.
public struct AccessMiddleware: Middleware {
    let verifier: KeyVerifier
    let limiter: RateLimiter
    let settings: AccessSettings
    let required: Bool

    public init(verifier: KeyVerifier, limiter: RateLimiter, settings: AccessSettings, required: Bool) {
        self.verifier = verifier
        self.limiter = limiter
        self.settings = settings
        self.required = required
    }

    /// Whether the handlers of a route read the request's key (`key(of:)`): those of the webhooks.
    static func readsPrincipal(_ pattern: String) -> Bool { hasBytePrefix(pattern, "/api/v1/webhooks") }

    /// The key a request was authenticated with (its `principal`), if any; set for the routes that
    /// `readsPrincipal`.
    public static func key(of request: Request) -> VerifiedKey? {
        (request.principal as? KeyVerifier.Entry)?.key
    }

    static func unauthorized(_ detail: String) -> HTTPError {
        HTTPError(.unauthorized, detail: detail,
                  headers: HTTPHeaders([("WWW-Authenticate", "Bearer realm=\"goldensignals\"")]))
    }

    /// What a request presents: no key, something that is not a key (another scheme, a malformed key), or a key.
    enum Presented {
        case none, invalid, key(PresentedKey)
    }

    /// The key from `Authorization: Bearer` or `X-API-Key`, parsed where the header's bytes are.
    static func presented(_ request: Request) -> Presented {
        func parse(_ u: UnsafeBufferPointer<UInt8>, bearer: Bool) -> Presented {
            var start = 0, end = u.count
            if bearer {
                // The credentials after `Bearer ` (scheme case-insensitive, spaces trimmed).
                guard u.count > 7 else { return .invalid }
                let scheme: StaticString = "bearer"
                for i in 0..<6 where u[i] | 0x20 != scheme.utf8Start[i] { return .invalid }
                guard u[6] == 0x20 else { return .invalid }
                start = 7
            }
            while start < end, u[start] == 0x20 || u[start] == 0x09 { start += 1 }
            while end > start, u[end - 1] == 0x20 || u[end - 1] == 0x09 { end -= 1 }
            return PresentedKey(utf8: UnsafeBufferPointer(rebasing: u[start..<end])).map { .key($0) } ?? .invalid
        }
        func parse(_ value: String, bearer: Bool) -> Presented {
            value.utf8.withContiguousStorageIfAvailable { parse($0, bearer: bearer) }
                ?? Array(value.utf8).withUnsafeBufferPointer { parse($0, bearer: bearer) }
        }
        if let auth = request.headers["Authorization"] { return parse(auth, bearer: true) }
        return request.headers["X-API-Key"].map { parse($0, bearer: false) } ?? .none
    }

    /// The `RateLimit-Policy` value of a bucket.
    static func policy(rate: Double, burst: Int) -> String {
        "\"default\";q=\(burst);w=\(max(1, Int(saturating: (Double(burst) / rate).rounded(.up))))"
    }

    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        guard let pattern = request.routePattern, !settings.openPaths.contains(pattern) else { return try next(request) }
        var principal: KeyVerifier.Entry?
        let rate: Double
        let burst: Int
        let policy: String
        let decision: RateLimiter.Decision
        let presented = Self.presented(request)
        if case .none = presented {
            if required { throw Self.unauthorized("an API key is required: send Authorization: Bearer <key>") }
            guard let anonymousRate = settings.anonymousRate else { return try next(request) }
            rate = anonymousRate
            burst = settings.anonymousBurst
            policy = Self.policy(rate: rate, burst: burst)
            decision = limiter.take("a:" + Self.host(of: request.remoteAddress), rate: rate, burst: burst)
        } else {
            let monotonic = coarseNanoseconds(CLOCK_MONOTONIC_COARSE)
            guard case .key(let presentedKey) = presented, let entry = try verifier.verifiedEntry(presentedKey, monotonic: monotonic),
                  let key = entry.key, let usage = entry.usage else {
                throw Self.unauthorized("the API key is not valid")
            }
            let scope = RouteScopes.required(method: request.method, pattern: pattern)
            if required, !key.grants(scope) {
                throw HTTPError(.forbidden, detail: "this route needs the \(scope.rawValue) scope")
            }
            // Handlers that act per key (webhooks) read the key from the request; elsewhere the request
            // is passed on as it came (a copy with the field set retains every other one).
            if Self.readsPrincipal(pattern) { principal = entry }
            rate = key.rate
            burst = key.burst
            policy = key.policy
            decision = usage.take(key.cell, now: monotonic)
        }
        let state = Self.state(decision)
        guard decision.allowed else {
            throw HTTPError(.tooManyRequests, detail: "the rate limit is \(Self.rateText(rate)) with bursts of \(burst); retry after \(decision.reset) s",
                            headers: HTTPHeaders([("Retry-After", String(decision.reset)), ("RateLimit-Policy", policy), ("RateLimit", state)]))
        }
        do {
            var response = try principal.map { entry in
                var keyed = request
                keyed.principal = entry
                return try next(keyed)
            } ?? next(request)
            response.headers.add("RateLimit-Policy", policy)
            response.headers.add("RateLimit", state)
            return response
        } catch {
            throw EditedHTTPError(error) { response in
                response.headers.set("RateLimit-Policy", policy)
                response.headers.set("RateLimit", state)
            }
        }
    }

    /// The `RateLimit` value of a decision: `"default";r=<remaining>;t=<reset>`.
    static func state(_ d: RateLimiter.Decision) -> String {
        String(unsafeUninitializedCapacity: 64) { out in
            var n = 0
            func put(_ s: StaticString) {
                for i in 0..<s.utf8CodeUnitCount { out[n] = s.utf8Start[i]; n += 1 }
            }
            func put(_ v: Int) {
                var x = max(0, v), digits = 0
                repeat { digits += 1; x /= 10 } while x > 0
                x = max(0, v)
                for i in stride(from: digits - 1, through: 0, by: -1) { out[n + i] = UInt8(0x30 + x % 10); x /= 10 }
                n += digits
            }
            put("\"default\";r=")
            put(d.remaining)
            put(";t=")
            put(d.reset)
            return n
        }
    }

    static func rateText(_ rate: Double) -> String {
        rate == rate.rounded() && abs(rate) < 1e15 ? "\(Int(rate))/s" : "\(rate)/s"
    }

    /// The address without its port (`1.2.3.4:5` → `1.2.3.4`, `[::1]:5` → `[::1]`).
    static func host(of address: String) -> String {
        guard let colon = address.lastIndex(of: ":") else { return address }
        return String(address[..<colon])
    }
}
