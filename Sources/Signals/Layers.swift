import Market

/// The filter layers, in the order they apply.
public enum Layer: String, CaseIterable, Sendable, Codable {
    case dataQuality = "data_quality"
    case liquidity
    case marketHours = "market_hours"
    case trendAlignment = "trend_alignment"
    case volatilityRisk = "volatility_risk"
    case confluence
    case duplicateSuppression = "duplicate_suppression"
    case confidenceThreshold = "confidence_threshold"

    /// Position in the order (0-based).
    public var order: Int { Layer.allCases.firstIndex(of: self)! }
}

/// What one layer decided about one candidate. `effect` is the layer's contribution: the quality
/// multiplier, the volume, trend and confluence scores in [0, 1], the reward/risk ratio, the
/// bars since a duplicate, or the final confidence.
public struct LayerResult: Sendable, Hashable {
    public var layer: Layer
    public var passed: Bool
    public var effect: Double?
    /// The sentence as UTF-8, kept as the engine wrote it: storing a candidate copies these bytes into its row,
    /// so a run makes no `String` of the eight sentences of each of its tens of thousands of candidates.
    public private(set) var detailUTF8: [UInt8]

    /// The sentence that says why the layer passed or not, with the numbers it used.
    public var detail: String {
        get { String(decoding: detailUTF8, as: UTF8.self) }
        set { detailUTF8 = Array(newValue.utf8) }
    }

    public init(_ layer: Layer, _ passed: Bool, effect: Double? = nil, _ detail: String) {
        self.init(layer, passed, effect: effect, sentence: Sentence(detail))
    }

    init(_ layer: Layer, _ passed: Bool, effect: Double? = nil, sentence: Sentence) {
        self.layer = layer
        self.passed = passed
        self.effect = effect
        self.detailUTF8 = sentence.bytes
    }
}

/// Settings of the filter layers (defaults in parentheses are what the service uses unless configured).
public struct LayerConfiguration: Sendable, Hashable {
    /// Lowest as-of quality score a signal may rest on (0.7).
    public var minQuality = 0.7
    /// Lowest average dollar volume per bar over 20 bars, per day of bar length ($1M for a daily bar).
    public var minDollarVolumePerDay = 1_000_000.0
    /// Lowest volume of the bar itself as a share of its 20-bar average (0.25).
    public var minRelativeVolume = 0.25
    /// An opposing trend (close on the other side of SMA(200)) this strong by ADX(14) rejects (30).
    public var opposingTrendADX = 30.0
    /// Stop distance in ATR(14)s (2) and default target distance (3).
    public var stopATR = 2.0
    public var targetATR = 3.0
    /// Lowest reward/risk (1.5).
    public var minRewardRisk = 1.5
    /// Volatility (NATR) above this multiple of its own 100-bar average rejects (3).
    public var maxVolatilityRatio = 3.0
    /// Same strategy and direction within this many bars of a published signal is a duplicate (5).
    public var duplicateBars = 5
    /// Lowest final confidence that is published (0.5).
    public var minConfidence = 0.5
    /// Largest position as a fraction of equity (0.1), and the Kelly fraction used (0.25).
    public var maxPositionSize = 0.1
    public var kellyFraction = 0.25

    public init() {}
}

/// Everything about the series a layer may need besides the bars.
public struct SeriesInfo: Sendable {
    public var symbol: String
    public var timeframe: Timeframe
    public var assetClass: AssetClass
    public var calendar: any TradingCalendar

    public init(symbol: String, timeframe: Timeframe, assetClass: AssetClass, calendar: any TradingCalendar) {
        self.symbol = symbol
        self.timeframe = timeframe
        self.assetClass = assetClass
        self.calendar = calendar
    }
}

/// The indicator lines the layers read, fetched once per series.
struct LayerLines {
    let close, volume, volumeSMA20, dollarVolumeSMA20, sma200, adx14, atr14, natr14, natrUsual: [Double]

    init(_ ind: IndicatorCache) {
        close = ind.series.close
        volume = ind.series.volume
        volumeSMA20 = ind.volumeSMA(20)
        dollarVolumeSMA20 = ind.dollarVolumeSMA(20)
        sma200 = ind.sma(200)
        adx14 = ind.adx(14).adx
        atr14 = ind.atr(14)
        natr14 = ind.natr(14)
        natrUsual = ind.natrSMA(14, 100)
    }
}

/// The layer functions. Each is pure: a candidate and what is known at its bar in, a result out.
enum Layers {
    static func dataQuality(_ i: Int, _ q: RollingQuality, _ cfg: LayerConfiguration) -> LayerResult {
        let score = q.score[i]
        if let defect = q.barDefect[i] { return LayerResult(.dataQuality, false, effect: score, "the bar itself is defective: \(defect)") }
        let text: Sentence = "as-of quality \(score, digits: 3) over the last \(min(i + 1, RollingQuality.window)) bars"
        return score >= cfg.minQuality
            ? LayerResult(.dataQuality, true, effect: score, sentence: text)
            : LayerResult(.dataQuality, false, effect: score, sentence: text + ", below \(cfg.minQuality, digits: 2)")
    }

    /// Volume score in [0, 1] is `effect`: min(1, relative volume / 2), 0.5 where volume is not reported.
    static func liquidity(_ i: Int, _ l: LayerLines, _ info: SeriesInfo, _ cfg: LayerConfiguration) -> LayerResult {
        guard let avgVol = value(l.volumeSMA20, i), avgVol > 0, let dollars = value(l.dollarVolumeSMA20, i) else {
            return LayerResult(.liquidity, true, effect: 0.5, "volume is not reported for this series (an index or a source without volume): liquidity not assessed")
        }
        let rel = l.volume[i] / avgVol
        let minDollars = cfg.minDollarVolumePerDay * Double(info.timeframe.seconds) / 86_400
        let detail: Sentence = "average dollar volume \(money: dollars) per bar; bar volume \(rel, digits: 2)× its 20-bar average"
        if dollars < minDollars { return LayerResult(.liquidity, false, effect: min(1, rel / 2), sentence: detail + "; below \(money: minDollars)") }
        if rel < cfg.minRelativeVolume {
            return LayerResult(.liquidity, false, effect: min(1, rel / 2), sentence: detail + "; below \(cfg.minRelativeVolume, digits: 2)×")
        }
        return LayerResult(.liquidity, true, effect: min(1, rel / 2), sentence: detail)
    }

    static func marketHours(_ i: Int, _ s: PriceSeries, _ info: SeriesInfo) -> LayerResult {
        guard info.timeframe.isIntraday else { return LayerResult(.marketHours, true, "not intraday") }
        let t = s.time[i]
        let day = CivilDate(unixSeconds: t)
        for d in [day.adding(days: -1), day] {
            if let session = info.calendar.session(on: d), t >= session.open, t < session.close {
                return LayerResult(.marketHours, true, "inside the \(info.calendar.identifier) session of \(d)")
            }
        }
        return LayerResult(.marketHours, false, "outside the regular \(info.calendar.identifier) session")
    }

    /// Trend score in [0, 1] is `effect`: 0.5 ± 0.5 × min(1, ADX/40), + with the SMA(200) side, − against.
    static func trend(_ i: Int, _ c: Candidate, _ l: LayerLines, _ cfg: LayerConfiguration) -> LayerResult {
        guard let sma = value(l.sma200, i), let adx = value(l.adx14, i) else {
            return LayerResult(.trendAlignment, true, effect: 0.5, "SMA(200) or ADX(14) not available yet: trend neutral")
        }
        let close = l.close[i]
        let with = (close >= sma) == (c.direction == .long)
        let score = 0.5 + (with ? 0.5 : -0.5) * min(1, adx / 40)
        let side: Sentence = close >= sma ? "above" : "below", stance: Sentence = with ? "with" : "against"
        let detail: Sentence = "close \(price: close) \(side) SMA(200) \(price: sma), ADX(14) \(adx, digits: 1): \(stance) the trend"
        if !with && adx >= cfg.opposingTrendADX {
            return LayerResult(.trendAlignment, false, effect: score, sentence: detail + " (ADX ≥ \(cfg.opposingTrendADX, digits: 2))")
        }
        return LayerResult(.trendAlignment, true, effect: score, sentence: detail)
    }

    /// Stop, target and risk level; `effect` is the reward/risk ratio.
    static func risk(_ i: Int, _ c: Candidate, _ l: LayerLines, _ cfg: LayerConfiguration)
        -> (LayerResult, stop: Double?, target: Double?, level: String?, rewardRisk: Double?) {
        guard let atr = value(l.atr14, i), atr > 0 else {
            return (LayerResult(.volatilityRisk, false, "ATR(14) not available yet: no stop can be placed"), nil, nil, nil, nil)
        }
        let entry = l.close[i]
        let stop = entry - c.direction.sign * cfg.stopATR * atr
        let targetATR = c.targetATR ?? cfg.targetATR
        let target = entry + c.direction.sign * targetATR * atr
        let rr = targetATR / cfg.stopATR
        var level = "medium"
        var detail: Sentence = "ATR(14) \(price: atr): stop \(price: stop), target \(price: target), reward/risk \(rr, digits: 2)"
        var ratio: Double?
        if let natr = value(l.natr14, i), let usual = value(l.natrUsual, i), usual > 0 {
            let r = natr / usual
            ratio = r
            level = r < 0.8 ? "low" : r <= 1.3 ? "medium" : "high"
            detail = detail + "; volatility \(r, digits: 2)× its 100-bar average (\(level))"
        }
        func rejected(_ why: Sentence) -> (LayerResult, stop: Double?, target: Double?, level: String?, rewardRisk: Double?) {
            (LayerResult(.volatilityRisk, false, effect: rr, sentence: detail + why), stop, target, level, rr)
        }
        if stop <= 0 || target <= 0 { return rejected("; the stop or target is not a positive price") }
        if rr < cfg.minRewardRisk { return rejected("; below \(cfg.minRewardRisk, digits: 2)") }
        if let ratio, ratio > cfg.maxVolatilityRatio { return rejected("; above \(cfg.maxVolatilityRatio, digits: 2)×") }
        return (LayerResult(.volatilityRisk, true, effect: rr, sentence: detail), stop, target, level, rr)
    }

    /// Confluence score in [0, 1] is `effect`: 0.5 + 0.25 × agreeing − 0.25 × disagreeing strategies on
    /// the bar; rejected when at least two disagree and they outnumber those agreeing.
    static func confluence(agree: Int, disagree: Int) -> LayerResult {
        let score = min(1, max(0, 0.5 + 0.25 * Double(agree) - 0.25 * Double(disagree)))
        let agrees: Sentence = agree == 1 ? "y agrees" : "ies agree", disagrees: Sentence = disagree == 1 ? "s" : ""
        let detail: Sentence = "\(agree) other strateg\(agrees), \(disagree) disagree\(disagrees) on this bar"
        return LayerResult(.confluence, !(disagree >= 2 && disagree > agree), effect: score, sentence: detail)
    }

    static func duplicate(barsSince: Int?, _ cfg: LayerConfiguration) -> LayerResult {
        guard let barsSince, barsSince <= cfg.duplicateBars else {
            return LayerResult(.duplicateSuppression, true, sentence: "no signal of this strategy and direction in the last \(cfg.duplicateBars) bars")
        }
        let plural: Sentence = barsSince == 1 ? "" : "s"
        return LayerResult(.duplicateSuppression, false, effect: Double(barsSince),
                           sentence: "the same strategy signalled the same direction \(barsSince) bar\(plural) ago")
    }

    static func threshold(_ confidence: Double, _ cfg: LayerConfiguration) -> LayerResult {
        let passed = confidence >= cfg.minConfidence
        let sign: Sentence = passed ? "≥" : "<"
        return LayerResult(.confidenceThreshold, passed, effect: confidence,
                           sentence: "confidence \(confidence, digits: 3) \(sign) \(cfg.minConfidence, digits: 2)")
    }
}
