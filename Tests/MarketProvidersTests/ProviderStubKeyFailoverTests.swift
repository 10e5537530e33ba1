import Foundation
import HTTPClient
import Testing
import Market
@testable import MarketProviders

/// A 429 with a long `Retry-After` on one key must not abandon a provider whose other keys are free.
@Suite(.serialized) struct ProviderStubKeyFailoverTests {
    private let aapl2005 = ProviderBarsRequest(symbol: "AAPL", assetClass: .equity, timeframe: .d1, from: 1_112_313_600, to: 1_112_659_199)
    private let throttled = StubResponse.json(#"{"status":"ERROR","request_id":"x","error":"You've exceeded the maximum requests per minute"}"#,
                                              status: 429, headers: [("Retry-After", "3600")])

    @Test func longRetryAfterOnOneKeyMovesToAnotherKey() throws {
        // k1 is told to come back in an hour; k2 is free, so Polygon still serves the request (no failover, no wait).
        let rig = try ProviderStubRig()
        rig.stub.enqueue(.polygon, throttled, try .sample("polygon_aggs_daily_ok.json"))
        rig.stub.setFallback(.finnhub, try .sample("finnhub_candle_ok.json"))
        let chain = rig.chain(rig.env(keys: ["polygon": "k1,k2", "finnhub": "f1"], order: [.equity: ["polygon", "finnhub"]]))
        let result = try chain.fetch(aapl2005)
        #expect(result.provider == "polygon")
        #expect(result.bars.count == 2)
        #expect(rig.stub.requests(.polygon).map { $0.apiKey ?? "-" } == ["k1", "k2"])
        #expect(rig.stub.requests(.finnhub).isEmpty)
        #expect(rig.clock.sleeps.allSatisfy { $0 < 30 })
        // k1 stays blocked: the next fetch goes straight to k2.
        rig.stub.enqueue(.polygon, try .sample("polygon_aggs_daily_ok.json"))
        _ = try chain.fetch(aapl2005)
        #expect(rig.stub.requests(.polygon).map { $0.apiKey ?? "-" } == ["k1", "k2", "k2"])
    }

    @Test func longRetryAfterOnEveryKeyStillFailsOverWithoutWaiting() throws {
        let rig = try ProviderStubRig()
        rig.stub.enqueue(.polygon, throttled, throttled)
        rig.stub.setFallback(.finnhub, try .sample("finnhub_candle_ok.json"))
        let chain = rig.chain(rig.env(keys: ["polygon": "k1,k2", "finnhub": "f1"], order: [.equity: ["polygon", "finnhub"]]))
        let r = ProviderBarsRequest(symbol: "AAPL", assetClass: .equity, timeframe: .d1, from: 1_569_283_200, to: 1_569_542_399)
        let result = try chain.fetch(r)
        #expect(result.provider == "finnhub" && result.bars.count == 3)
        #expect(rig.stub.requests(.polygon).map { $0.apiKey ?? "-" } == ["k1", "k2"])
        #expect(rig.clock.sleeps.reduce(0, +) < 30)
    }
}
