import Foundation
import Market
import Testing
@testable import Signals

@Suite struct SignalEngineTests {
    @Test func realHistoryYieldsExplainedSignalsFromEveryStrategy() throws {
        let series = try SignalData.series("bluefin_AAPL.csv")
        let signals = SignalEngine().run(series, info: SignalData.info("AAPL"))
        let published = signals.filter(\.published)
        var byStrategy: [String: (Int, Int)] = [:]
        for s in signals { byStrategy[s.strategy, default: (0, 0)].0 += 1; if s.published { byStrategy[s.strategy]!.1 += 1 } }
        var rejectedBy: [String: Int] = [:]
        for s in signals { if let l = s.rejectedBy { rejectedBy[l.rawValue, default: 0] += 1 } }
        print("AAPL: \(signals.count) candidates, \(published.count) published; by strategy \(byStrategy); rejected by \(rejectedBy)")
        #expect(Set(signals.map(\.strategy)) == Set(Strategies.names))
        #expect(published.count > 20 && published.count < signals.count)
        for s in signals {
            #expect(s.layers.map(\.layer) == Layer.allCases, "every layer is recorded, in order")
            #expect(s.rejectedBy == s.layers.first { !$0.passed }?.layer)
            #expect(!s.reason.isEmpty && !s.layers.contains { $0.detail.isEmpty })
            #expect((0...1).contains(s.confidence.calibrated) && (0...1).contains(s.consensusStrength))
            #expect(s.entryPrice == series.close[s.index] && s.bar.timestamp == series.time[s.index])
        }
        for s in published {
            #expect(s.confidence.calibrated >= LayerConfiguration().minConfidence)
            let stop = try #require(s.stopLoss), target = try #require(s.takeProfit)
            if s.direction == .long { #expect(stop < s.entryPrice && s.entryPrice < target) } else { #expect(target < s.entryPrice && s.entryPrice < stop) }
            #expect(abs(target - s.entryPrice) / abs(s.entryPrice - stop) >= 1.5 - 1e-9)
            #expect(s.positionSize >= 0 && s.positionSize <= 0.1)
            #expect(["low", "medium", "high"].contains(s.riskLevel ?? ""))
            #expect(s.expiresAt > s.bar.timestamp)
        }
    }

    @Test func aDefectiveBarIsFilteredByDataQuality() throws {
        // PG's 1960s bars have Open = 0: every signal about such a bar stops at the data-quality layer.
        let series = try SignalData.series("bluefin_PG.csv")
        let signals = SignalEngine().run(series, info: SignalData.info("PG"))
        let early = signals.filter { series.open[$0.index] == 0 }
        #expect(!early.isEmpty)
        #expect(early.allSatisfy { !$0.published && $0.rejectedBy == .dataQuality })
    }

    @Test func smaCrossoverOnAHandMadePath() throws {
        // 60 falling closes then a sharp rise: SMA(20) crosses above SMA(50) exactly once, long.
        var closes = (0..<60).map { 100 - Double($0) * 0.5 }
        closes += (1...40).map { 70 + Double($0) * 2 }
        let series = PriceSeries.closes(closes)
        let ind = IndicatorCache(series)
        let s = SMACrossover()
        let fired = s.scan(ind, from: 1)
        #expect(fired.count == 1)
        let c = try #require(fired.first)
        #expect(c.direction == .long)
        let f = ind.sma(20), sl = ind.sma(50)
        #expect(f[c.index - 1] <= sl[c.index - 1] && f[c.index] > sl[c.index])
        #expect(c.reason.hasPrefix("SMA(20) crossed above SMA(50)"))
        #expect(c.indicators.map(\.name) == ["sma_20", "sma_50"])
    }

    @Test func rsiReversionFiresWhenRSICrossesBackAbove30() throws {
        var closes = (0..<30).map { 100 + Double($0 % 2) }      // flat, RSI near 50
        closes += (1...12).map { 100 - Double($0) * 2 }         // a slide: RSI below 30
        closes += [78, 81, 84]                                  // a bounce
        let series = PriceSeries.closes(closes)
        let ind = IndicatorCache(series)
        let fired = RSIReversion().scan(ind, from: 1)
        let c = try #require(fired.first)
        let rsi = ind.rsi(14)
        #expect(c.direction == .long && rsi[c.index - 1] <= 30 && rsi[c.index] > 30)
        #expect(c.strength > 0.4)
        #expect(c.reason.contains("RSI(14) crossed above 30"))
    }

    @Test func duplicateSuppressionAndThreshold() {
        var cfg = LayerConfiguration()
        #expect(!Layers.duplicate(barsSince: 3, cfg).passed)
        #expect(Layers.duplicate(barsSince: 6, cfg).passed)
        #expect(Layers.duplicate(barsSince: nil, cfg).passed)
        cfg.minConfidence = 0.6
        #expect(!Layers.threshold(0.59, cfg).passed && Layers.threshold(0.6, cfg).passed)
        #expect(!Layers.confluence(agree: 0, disagree: 2).passed && Layers.confluence(agree: 2, disagree: 2).passed)
        #expect(Layers.confluence(agree: 2, disagree: 0).effect == 1)
    }

    @Test func marketHoursRejectsBarsOutsideTheSession() {
        // 2019-11-05 is a Tuesday: 14:30 UTC (09:30 New York) is inside, 13:00 UTC is before the open.
        let inside = Bar(timestamp: 1_572_964_200, open: 1, high: 1, low: 1, close: 1, volume: 1)
        let before = Bar(timestamp: 1_572_958_800, open: 1, high: 1, low: 1, close: 1, volume: 1)
        let s = PriceSeries([before, inside])
        let info = SeriesInfo(symbol: "X", timeframe: .m1, assetClass: .equity, calendar: NYSECalendar())
        #expect(!Layers.marketHours(0, s, info).passed)
        #expect(Layers.marketHours(1, s, info).passed)
        #expect(Layers.marketHours(0, s, SeriesInfo(symbol: "X", timeframe: .d1, assetClass: .equity, calendar: NYSECalendar())).passed)
    }

    @Test func strategyConfiguration() throws {
        let s = try Strategies.make("sma_crossover", overrides: ["fast": 10, "slow": 30])
        #expect(s.parameterKey == "fast=10,slow=30")
        #expect(throws: StrategyError.unknown("nope")) { try Strategies.make("nope") }
        #expect(throws: StrategyError.unknownParameter(strategy: "rsi_reversion", parameter: "x")) { try Strategies.make("rsi_reversion", overrides: ["x": 1]) }
        #expect(throws: (any Error).self) { try Strategies.make("rsi_reversion", overrides: ["period": 0]) }
        #expect(try Strategies.parse("macd_cross:fast=8,slow=21;rsi_reversion").map(\.parameterKey) == ["fast=8,slow=21,signal=9", "period=14,lower=30,upper=70"])
        #expect(try Strategies.parse("").count == 7)
    }

    @Test func formatting() {
        #expect(Format.number(31.4) == "31.4")
        #expect(Format.number(20) == "20")
        #expect(Format.number(-0.354) == "-0.35")
        #expect(Format.number(0.0004, digits: 2) == "0")
        #expect(Format.price(0.088542) == "0.0885")
        #expect(Format.number(-12.5, digits: 0) == "-13")
        #expect(Format.number(1.05, digits: 4) == "1.05")
        #expect(Format.number(0.0105, digits: 4) == "0.0105")
        #expect(Format.number(123_456_789.987, digits: 1) == "123456790")
        #expect(Format.number(.nan) == "nan")
    }

    /// A `Sentence` writes literal pieces, text and numbers into one buffer; it reads as `String` interpolation
    /// with `Format` would (numbers of every size and sign, non-finite ones, prices, dollars at each suffix).
    @Test func sentencesReadAsFormatWritesThem() {
        func money(_ x: Double) -> String {
            x >= 1e9 ? "$\(Format.number(x / 1e9, digits: 1))B" : x >= 1e6 ? "$\(Format.number(x / 1e6, digits: 1))M"
                : x >= 1e3 ? "$\(Format.number(x / 1e3, digits: 1))k" : "$\(Format.number(x, digits: 0))"
        }
        var values: [Double] = [0, -0.0, 0.5, 999.96, 1_000, 999_949, 1e6, 5.8e6, 1e9, 2.345e12, 9.1e15, .nan, .infinity, -.infinity]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2_000 { values.append(Double.random(in: -1...1, using: &rng) * pow(10, Double.random(in: -6...13, using: &rng))) }
        for x in values {
            for d in 0...4 {
                let s: Sentence = "x \(x, digits: d) ≥ \(d)"
                #expect(s.text == "x \(Format.number(x, digits: d)) ≥ \(d)")
            }
            #expect(Sentence("\(price: x); \(money: x)").text == "\(Format.price(x)); \(money(x))")
        }
        let joined: Sentence = "a \("é") b" + ", c \(Sentence("d \(-12)"))"
        #expect(joined.text == "a é b, c d -12")
    }

    /// The digits are written into a stack buffer; they must read as Foundation-free decimal text
    /// would: the same as rounding to `digits` decimals, trailing zeros dropped.
    @Test func formattingMatchesPlainDecimalText() {
        func reference(_ x: Double, _ digits: Int) -> String {
            var scale = 1.0
            for _ in 0..<digits { scale *= 10 }
            let scaled = (abs(x) * scale).rounded()
            guard scaled < 9e15 else { return "\(x)" }
            let n = Int64(scaled), s = Int64(scale)
            var text = String(n / s)
            let frac = n % s
            if digits > 0 && frac > 0 {
                var f = String(frac)
                f = String(repeating: "0", count: digits - f.count) + f
                while f.hasSuffix("0") { f.removeLast() }
                text += "." + f
            }
            return (x < 0 && n != 0 ? "-" : "") + text
        }
        var g = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let magnitude = Double.random(in: -6...12, using: &g)
            let x = (Bool.random(using: &g) ? 1 : -1) * Double.random(in: 1...10, using: &g) * pow(10, magnitude)
            for digits in 0...4 { #expect(Format.number(x, digits: digits) == reference(x, digits), "\(x) to \(digits) digits") }
        }
        for x in [0.0, -0.0, 0.5, -0.5, 1, 9.995, 99.995, 1e15, 8.9e15, 9e15, 1e300, -1e300] {
            for digits in 0...4 { #expect(Format.number(x, digits: digits) == reference(x, digits), "\(x) to \(digits) digits") }
        }
    }
}

/// Every indicator the API accepts computes at the edges of its parameter ranges (TA's preconditions
/// would stop the process otherwise).
@Suite struct IndicatorSpecTests {
    @Test func everyAcceptedParameterComputes() throws {
        let closes: [Double] = (0..<60).map { i in 100 + Double((i * 7) % 11) - 5 }
        let series = PriceSeries.closes(closes)
        for entry in IndicatorSpec.catalog {
            let lows = entry.parameters.map { Format.number($0.2.lowerBound) }
            let text = ([entry.name] + lows).joined(separator: ":")
            let specs = try IndicatorSpec.parse(text == "macd:2:2:1" ? "macd:2:3:1" : text)
            for spec in specs {
                let lines = spec.compute(series)
                #expect(lines.count == spec.columns.count && lines.allSatisfy { $0.count == series.count }, "\(text)")
            }
        }
        #expect(throws: IndicatorSpecError.self) { try IndicatorSpec.parse("sma:1") }
    }
}
