import Foundation
import HTTPClient
import Market
@testable import MarketProviders
import Testing

/// Keys never leave the chain in what it records or throws; outside numbers never trap.
@Suite struct ProviderHardeningTests {
    @Test func scrubbingRemovesKeysCredentialsAndKeyLikeTokensAndCutsTheText() {
        let key = "AVKEY7Q4ZDISTINCT"
        let page = "<html>Forbidden: /query?function=TIME_SERIES_DAILY&symbol=AAPL&apikey=\(key)&outputsize=full</html>"
        let s = SecretScrubber.scrub(page, secrets: [key])
        #expect(!s.contains(key))
        #expect(s.contains("symbol=AAPL") && s.contains("function=TIME_SERIES_DAILY"))
        // Keys it was not told about, by the shape of where they stand.
        let unknown = SecretScrubber.scrub(#"token=abc123secret&x=1 {"api_key":"zzz-999"} Authorization: Bearer eyJhbGciOi.x.y key: s3cr3t"#)
        for leaked in ["abc123secret", "zzz-999", "eyJhbGciOi", "s3cr3t"] { #expect(!unknown.contains(leaked), "\(unknown)") }
        #expect(unknown.contains("x=1"))
        // A long run of letters and digits looks like a key; words and numbers do not.
        let tokens = SecretScrubber.scrub("id 0123456789abcdefABCDEF0123 and 1761768001 and Unauthorized")
        #expect(!tokens.contains("0123456789abcdefABCDEF0123") && tokens.contains("1761768001") && tokens.contains("Unauthorized"))
        // Percent-encoded forms of a known key, too; and the text is cut to one line of bounded length.
        let encoded = SecretScrubber.scrub("k=a%2Bb%2Fc%3D tail", secrets: ["a+b/c="])
        #expect(!encoded.contains("a%2Bb%2Fc%3D"))
        let long = SecretScrubber.scrub(String(repeating: "word ", count: 1_000) + "\nsecond line")
        #expect(long.count <= SecretScrubber.maxLength + 1 && !long.contains("\n"))
    }

    @Test func theChainRecordsAndThrowsErrorsWithoutTheKey() throws {
        let key = "AVKEY7Q4ZDISTINCT"
        let transport = FakeTransport { r, _ in
            // An upstream error page that quotes the request back, key included.
            HTTPClientResponse(status: 403, body: Array("<html>denied for \(r.url)</html>".utf8))
        }
        let calls = CallLog()
        let chain = ProviderChain(
            configuration: ProviderConfiguration(settings: ["alphavantage": ProviderSettings(provider: AlphaVantageProvider(), keys: [key],
                                                                                             baseURL: "http://127.0.0.1:9")],
                                                 order: [.equity: ["alphavantage"]]),
            transport: transport, record: { calls.add($0) }, sleep: { _ in }, now: { 1_000 })
        let error = expectProviderError(.unauthorized) {
            try chain.fetch(ProviderBarsRequest(symbol: "AAPL", assetClass: .equity, timeframe: .d1, from: 1_700_000_000, to: 1_700_086_400))
        }
        #expect(transport.requests.allSatisfy { $0.url.contains("apikey=\(key)") })   // it did go out
        #expect(error.map { !$0.description.contains(key) && $0.message.contains("<redacted>") } == true)
        #expect(!calls.calls.isEmpty && calls.calls.allSatisfy { !($0.error ?? "").contains(key) })
    }

    @Test func rateLimitsThatWouldMakeWaitsInfiniteAreRefused() {
        for text in ["5/inf", "5/nan", "5/1e-320", "5/0", "0/60", "5/1e300", "99999999999/1"] {
            #expect(RateLimit(parsing: text) == nil, "\(text)")
        }
        #expect(RateLimit(parsing: "5/60") == RateLimit(requests: 5, perSeconds: 60))
    }

    @Test func anInfiniteLocalWaitFailsOverInsteadOfTrapping() throws {
        // A limit built in code (not parsed) with an infinite window: the second call's wait is infinite.
        let transport = FakeTransport { _, _ in HTTPClientResponse(status: 200, body: Array("[]".utf8)) }
        let chain = ProviderChain(
            configuration: ProviderConfiguration(settings: ["binance": ProviderSettings(provider: BinanceProvider(), baseURL: "http://127.0.0.1:9",
                                                                                        rateLimit: RateLimit(requests: 1, perSeconds: .infinity))],
                                                 order: [.crypto: ["binance"]]),
            transport: transport, sleep: { _ in }, now: { 1_000 })
        let request = ProviderBarsRequest(symbol: "BTCUSDT", assetClass: .crypto, timeframe: .d1, from: 1_700_000_000, to: 1_700_086_400)
        _ = expectProviderError(.noData) { try chain.fetch(request) }
        let limited = expectProviderError(.rateLimited) { try chain.fetch(request) }
        #expect(limited?.message.contains("local rate limit") == true)
    }

    @Test func aTimeoutTooLongForAnIntegerStillSends() throws {
        let stub = try ProviderStubServer()
        stub.enqueue(.binance, .json("[]"), .json("[]"))
        for t in [Double.infinity, 1e300] {
            var r = HTTPClientRequest(url: stub.baseURL + "/api/v3/klines")
            r.timeout = t
            r.connectTimeout = t
            #expect(try HTTPClient().send(r).status == 200)
        }
        defaultSleep(.infinity * 0)   // NaN: returns at once
        defaultSleep(-1)
    }
}
