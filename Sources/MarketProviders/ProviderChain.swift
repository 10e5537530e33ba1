public import HTTPClient
public import Market
import Foundation
import Primitives

/// One HTTP call to a provider, for monitoring. Holds the key's slot number, never the key.
public struct ProviderCall: Sendable {
    /// Provider name.
    public var provider: String
    /// Index of the API key used (nil for keyless providers).
    public var keySlot: Int?
    /// Requested symbol.
    public var symbol: String
    /// Requested timeframe.
    public var timeframe: Timeframe
    /// HTTP status, nil when no response arrived.
    public var httpStatus: Int?
    /// Wall time of the call in milliseconds.
    public var latencyMs: Double
    /// Bars parsed from this call's page.
    public var bars: Int
    /// Error description, nil on success.
    public var error: String?
    /// Unix seconds when the call started.
    public var at: Int64

    /// Makes a call record.
    public init(provider: String, keySlot: Int?, symbol: String, timeframe: Timeframe, httpStatus: Int?, latencyMs: Double,
                bars: Int, error: String?, at: Int64) {
        self.provider = provider
        self.keySlot = keySlot
        self.symbol = symbol
        self.timeframe = timeframe
        self.httpStatus = httpStatus
        self.latencyMs = latencyMs
        self.bars = bars
        self.error = error
        self.at = at
    }
}

/// Bars from the first provider that answered, and its name.
public struct ProviderFetchResult: Sendable {
    /// Bars within the requested range, sorted, unique by timestamp.
    public var bars: [Bar]
    /// The provider that supplied them.
    public var provider: String

    /// Makes a result.
    public init(bars: [Bar], provider: String) {
        self.bars = bars
        self.provider = provider
    }
}

/// A token bucket (reservation style: a reservation may drive the balance negative, later callers wait longer).
struct TokenBucket {
    let capacity: Double
    let ratePerSecond: Double
    var tokens: Double
    var updated: Double
    /// Set from `Retry-After`: no calls before this instant.
    var blockedUntil: Double = 0

    init(limit: RateLimit, now: Double) {
        capacity = Double(max(1, limit.requests))
        ratePerSecond = capacity / max(limit.perSeconds, 0.001)
        tokens = capacity
        updated = now
    }

    mutating func refill(_ now: Double) {
        if now > updated {
            tokens = min(capacity, tokens + (now - updated) * ratePerSecond)
            updated = now
        }
    }

    /// Seconds until a token would be available (0 if now).
    mutating func wait(_ now: Double) -> Double {
        refill(now)
        let tokenWait = tokens >= 1 ? 0 : (1 - tokens) / ratePerSecond
        return max(tokenWait, blockedUntil - now, 0)
    }

    /// Takes one token (possibly going negative); returns the seconds to wait before using it.
    mutating func reserve(_ now: Double) -> Double {
        let w = wait(now)
        tokens -= 1
        return w
    }
}

/// Per-provider circuit breaker: opens after `threshold` consecutive failed calls, half-opens after `coolDown`
/// seconds to let a single trial call through; its success closes it, its failure re-opens it.
struct CircuitBreaker {
    enum State { case closed, open(since: Double), halfOpen(trialInFlight: Bool) }
    var state: State = .closed
    var failures = 0

    var name: String {
        switch state {
        case .closed: "closed"
        case .open: "open"
        case .halfOpen: "half_open"
        }
    }
}

/// Fetches bars through the configured providers of an asset class, in order, with key rotation, rate limiting,
/// retries with backoff, circuit breakers and call recording. Thread-safe; blocking.
public final class ProviderChain: @unchecked Sendable {
    private let configuration: ProviderConfiguration
    private let transport: any HTTPTransport
    private let record: @Sendable (ProviderCall) -> Void
    private let sleep: @Sendable (Double) -> Void
    private let now: @Sendable () -> Double
    private let maxRetries: Int
    private let failureThreshold: Int
    private let coolDown: Double
    private let maxRateLimitWait: Double
    private let backoffBase: Double
    private let backoffCap: Double

    private let lock = NSLock()
    private var buckets: [String: [TokenBucket]] = [:]
    private var nextSlot: [String: Int] = [:]
    private var breakers: [String: CircuitBreaker] = [:]

    /// Makes a chain. `sleep` and `now` are injectable for tests; `failureThreshold` consecutive failed calls open
    /// a provider's circuit for `coolDownSeconds`; a wait for a rate-limit token or `Retry-After` longer than
    /// `maxRateLimitWait` fails over instead of sleeping; retry backoff is `backoffBase·2^n` (capped) with jitter.
    public init(configuration: ProviderConfiguration, transport: any HTTPTransport,
                record: @escaping @Sendable (ProviderCall) -> Void = { _ in },
                sleep: @escaping @Sendable (Double) -> Void = { defaultSleep($0) },
                now: @escaping @Sendable () -> Double = { wallClock() }, maxRetries: Int = 3,
                failureThreshold: Int = 5, coolDownSeconds: Double = 60, maxRateLimitWait: Double = 30,
                backoffBase: Double = 0.5, backoffCap: Double = 30) {
        self.configuration = configuration
        self.transport = transport
        self.record = record
        self.sleep = sleep
        self.now = now
        self.maxRetries = max(0, maxRetries)
        self.failureThreshold = max(1, failureThreshold)
        self.coolDown = coolDownSeconds
        self.maxRateLimitWait = maxRateLimitWait
        self.backoffBase = backoffBase
        self.backoffCap = backoffCap
    }

    /// The configuration in use.
    public var providerConfiguration: ProviderConfiguration { configuration }

    /// Circuit state per configured provider: "closed", "open" or "half_open".
    public func circuitStates() -> [String: String] {
        lock.lock()
        defer { lock.unlock() }
        let t = now()
        var out: [String: String] = [:]
        for name in configuration.settings.keys {
            var b = breakers[name] ?? CircuitBreaker()
            if case .open(let since) = b.state, t - since >= coolDown { b.state = .halfOpen(trialInFlight: false) }
            out[name] = b.name
        }
        return out
    }

    /// Bars for `request` from the first provider in the asset class's order that answers; failover on any error.
    /// Throws the last `ProviderError` when every provider fails (`.unsupported` if none applies).
    public func fetch(_ request: ProviderBarsRequest) throws -> ProviderFetchResult {
        let names = configuration.order[request.assetClass] ?? []
        var lastError: ProviderError? = nil
        for name in names {
            guard let settings = configuration.settings[name],
                  settings.provider.supports(request.assetClass, request.timeframe) else { continue }
            do {
                let bars = try fetch(request, from: settings)
                return ProviderFetchResult(bars: bars, provider: name)
            } catch let e as ProviderError {
                lastError = e
            }
        }
        throw lastError ?? ProviderError(kind: .unsupported, provider: "chain",
                                         message: "no configured provider serves \(request.assetClass.rawValue) \(request.timeframe.rawValue)")
    }

    // MARK: One provider

    private enum PageSource { case initial(Int), next(String) }

    private func fetch(_ request: ProviderBarsRequest, from settings: ProviderSettings) throws -> [Bar] {
        let provider = settings.provider
        let name = provider.name
        let pageCount = provider.makeRequests(request, apiKey: settings.keys.first, baseURL: settings.baseURL).count
        guard pageCount > 0 else {
            throw ProviderError(kind: .unsupported, provider: name, message: "no request for \(request.timeframe.rawValue)")
        }
        var queue: [PageSource] = (0..<pageCount).map { .initial($0) }
        var bars: [Bar] = []
        var noData: ProviderError? = nil
        var index = 0
        var followed = 0
        while index < queue.count {
            let source = queue[index]
            index += 1
            do {
                let page = try call(request, settings: settings, source: source)
                bars.append(contentsOf: page.bars)
                if let next = page.nextURL {
                    followed += 1
                    if followed > 1000 {
                        throw ProviderError(kind: .badResponse, provider: name, message: "more than 1000 pages; stopping")
                    }
                    queue.insert(.next(next), at: index)
                }
            } catch let e as ProviderError where e.kind == .noData {
                // One empty window among several is fine; the request as a whole is empty only if all are.
                noData = e
            }
        }
        let inRange = Bar.sortedLastWins(bars).bars.filter { $0.timestamp >= request.from && $0.timestamp <= request.to }
        if inRange.isEmpty {
            throw noData ?? ProviderError(kind: .noData, provider: name, message: "no bars for \(request.symbol) in range")
        }
        return inRange
    }

    /// One page with retries: picks a key slot, waits for its token, sends, parses, records.
    private func call(_ request: ProviderBarsRequest, settings: ProviderSettings, source: PageSource) throws -> ProviderPage {
        let name = settings.provider.name
        var attempt = 0
        while true {
            try admit(name)
            let slot: Int?
            let http: HTTPClientRequest
            do {
                let (s, wait) = try reserveSlot(settings)
                slot = s
                if wait > 0 { sleep(wait) }
                let key = s.map { settings.keys[$0] }
                switch source {
                case .initial(let i):
                    let all = settings.provider.makeRequests(request, apiKey: key, baseURL: settings.baseURL)
                    guard i < all.count else { throw ProviderError(kind: .badResponse, provider: name, message: "page \(i) vanished") }
                    http = all[i]
                case .next(let url):
                    http = settings.provider.makeNextPageRequest(url, apiKey: key, baseURL: settings.baseURL)
                }
            } catch {
                releaseTrial(name)   // no call was made: a half-open trial slot must not stay taken
                throw error
            }
            let started = now()
            var status: Int? = nil
            let outcome: Result<ProviderPage, ProviderError>
            do {
                let response = try transport.send(http)
                status = response.status
                outcome = .success(try settings.provider.parse(response, for: request))
            } catch let e as ProviderError {
                outcome = .failure(e)
            } catch let e as HTTPClientError {
                // An oversized body is the provider's answer, not a network fault: not retried.
                outcome = .failure(ProviderError(kind: e.kind == .tooLarge ? .badResponse : .transport, provider: name,
                                                 message: "\(e.kind): \(e.message)"))
            } catch {
                outcome = .failure(ProviderError(kind: .transport, provider: name, message: "\(error)"))
            }
            let latency = max(0, (now() - started) * 1000)
            switch outcome {
            case .success(let page):
                record(ProviderCall(provider: name, keySlot: slot, symbol: request.symbol, timeframe: request.timeframe,
                                    httpStatus: status, latencyMs: latency, bars: page.bars.count, error: nil, at: Int64(started)))
                finished(name, healthy: true)
                return page
            case .failure(var e):
                if e.httpStatus == nil { e.httpStatus = status }
                // Recorded, thrown and logged without the keys: an upstream may quote the request URL back.
                e.message = SecretScrubber.scrub(e.message, secrets: settings.keys)
                record(ProviderCall(provider: name, keySlot: slot, symbol: request.symbol, timeframe: request.timeframe,
                                    httpStatus: status, latencyMs: latency, bars: 0, error: e.description, at: Int64(started)))
                let unhealthy: Bool
                switch e.kind {
                case .server, .transport, .rateLimited, .badResponse: unhealthy = true
                default: unhealthy = false
                }
                finished(name, healthy: !unhealthy)
                // Retry-After blocks the key slot (rate limit) or every slot (server) in the token buckets, so the
                // next attempt waits for it there — or goes straight to another key that is not blocked.
                if let ra = e.retryAfter { block(name, slot: e.kind == .rateLimited ? slot : nil, all: e.kind != .rateLimited, for: ra) }
                let retryable = e.kind == .server || e.kind == .rateLimited || e.kind == .transport
                guard retryable, attempt < maxRetries else { throw e }
                // Fail over rather than block — unless another key slot is free soon enough (a 429 blocks only its
                // own slot, so the retry goes out on another key).
                if let ra = e.retryAfter, ra > maxRateLimitWait, !slotAvailable(settings, within: maxRateLimitWait) { throw e }
                var delay = min(backoffCap, backoffBase * pow(2, Double(attempt)))
                delay = delay / 2 + Double.random(in: 0...(delay / 2))        // equal jitter
                sleep(delay)
                attempt += 1
            }
        }
    }

    // MARK: Circuit breaker

    /// Throws `.circuitOpen` unless the provider's breaker lets a call through.
    private func admit(_ name: String) throws {
        lock.lock()
        defer { lock.unlock() }
        var b = breakers[name] ?? CircuitBreaker()
        defer { breakers[name] = b }
        switch b.state {
        case .closed:
            return
        case .open(let since):
            if now() - since >= coolDown {
                b.state = .halfOpen(trialInFlight: true)
                return
            }
        case .halfOpen(let inFlight):
            if !inFlight {
                b.state = .halfOpen(trialInFlight: true)
                return
            }
        }
        throw ProviderError(kind: .circuitOpen, provider: name, message: "circuit open after \(b.failures) consecutive failures")
    }

    /// Frees a half-open breaker's trial slot when the trial never reached the provider.
    private func releaseTrial(_ name: String) {
        lock.lock()
        defer { lock.unlock() }
        if var b = breakers[name], case .halfOpen(true) = b.state {
            b.state = .halfOpen(trialInFlight: false)
            breakers[name] = b
        }
    }

    private func finished(_ name: String, healthy: Bool) {
        lock.lock()
        defer { lock.unlock() }
        var b = breakers[name] ?? CircuitBreaker()
        if healthy {
            b.failures = 0
            b.state = .closed
        } else {
            b.failures += 1
            if case .halfOpen = b.state {
                b.state = .open(since: now())
            } else if b.failures >= failureThreshold {
                b.state = .open(since: now())
            }
        }
        breakers[name] = b
    }

    // MARK: Keys and rate limits

    /// Round-robin over key slots, preferring the next slot that has a token now; reserves a token.
    /// Returns the slot (nil when keyless) and the seconds to wait; throws `.rateLimited` if every slot would
    /// wait longer than `maxRateLimitWait`.
    private func reserveSlot(_ settings: ProviderSettings) throws -> (Int?, Double) {
        let name = settings.provider.name
        let n = max(1, settings.keys.count)
        lock.lock()
        defer { lock.unlock() }
        let t = now()
        var list = buckets[name] ?? (0..<n).map { _ in TokenBucket(limit: settings.rateLimit, now: t) }
        defer { buckets[name] = list }
        let start = nextSlot[name] ?? 0
        var best = start % n
        var bestWait = Double.infinity
        for k in 0..<n {
            let i = (start + k) % n
            let w = list[i].wait(t)
            if w < bestWait {
                best = i
                bestWait = w
            }
            if w == 0 { break }
        }
        if bestWait > maxRateLimitWait {
            throw ProviderError(kind: .rateLimited, provider: name,
                                message: "local rate limit: next slot free in \(Int(saturating: bestWait.rounded(.up))) s", retryAfter: bestWait)
        }
        let wait = list[best].reserve(t)
        nextSlot[name] = (best + 1) % n
        return (settings.keys.isEmpty ? nil : best, wait)
    }

    /// Whether some key slot could be used within `seconds` (token and `Retry-After` block considered).
    private func slotAvailable(_ settings: ProviderSettings, within seconds: Double) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let list = buckets[settings.provider.name] else { return true }
        let t = now()
        return list.contains { bucket in
            var b = bucket
            return b.wait(t) <= seconds
        }
    }

    /// Blocks a key slot until `seconds` from now (from `Retry-After`).
    private func block(_ name: String, slot: Int?, all: Bool, for seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        guard var list = buckets[name] else { return }
        let until = now() + seconds
        for i in list.indices where all || i == (slot ?? 0) {
            list[i].blockedUntil = max(list[i].blockedUntil, until)
        }
        buckets[name] = list
    }
}
