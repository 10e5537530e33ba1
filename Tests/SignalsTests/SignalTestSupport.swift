import Foundation
import Market
@testable import Signals

/// The shared reference files in `<repo>/../shared/data/`, read through the CSV reader.
enum SignalData {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/data")

    static func series(_ name: String, _ tf: Timeframe = .d1, _ zone: LocalTimeZone = .utc) throws -> PriceSeries {
        let bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
        return PriceSeries(try OHLCVCSVReader.parse(bytes, options: CSVImportOptions(timeframe: tf, localTimeZone: zone)).bars)
    }

    static func info(_ symbol: String, _ tf: Timeframe = .d1, _ asset: AssetClass = .equity) -> SeriesInfo {
        SeriesInfo(symbol: symbol, timeframe: tf, assetClass: asset,
                   calendar: asset == .crypto ? AlwaysOpenCalendar() : NYSECalendar())
    }
}

extension PriceSeries {
    /// A series from closes alone (open = previous close, high/low around them), one bar a day from 2020-01-01.
    static func closes(_ closes: [Double], volume: Double = 1_000_000) -> PriceSeries {
        var bars: [Bar] = []
        for (i, c) in closes.enumerated() {
            let o = i == 0 ? c : closes[i - 1]
            bars.append(Bar(timestamp: 1_577_836_800 + Int64(i) * 86_400, open: o, high: max(o, c) * 1.005,
                            low: min(o, c) * 0.995, close: c, volume: volume))
        }
        return PriceSeries(bars)
    }
}

/// Everything about a generated signal that must not change when later bars are added.
struct SignalFingerprint: Hashable, CustomStringConvertible {
    var text: String
    init(_ s: GeneratedSignal) {
        text = [s.strategy, s.parameters, s.direction.rawValue, String(s.bar.timestamp), "\(s.published)", s.rejectedBy?.rawValue ?? "-",
                "\(s.strength)", "\(s.entryPrice)", "\(s.stopLoss ?? -1)", "\(s.takeProfit ?? -1)", s.riskLevel ?? "-",
                "\(s.expiresAt)", "\(s.confidence.raw)", "\(s.confidence.quality)", "\(s.confidence.calibrated)",
                "\(s.consensusStrength)", "\(s.positionSize)", s.reason,
                s.indicators.map { "\($0.name)=\($0.value)" }.joined(separator: ","),
                s.layers.map { "\($0.layer.rawValue):\($0.passed):\($0.effect ?? -1):\($0.detail)" }.joined(separator: "|")].joined(separator: "¦")
    }
    var description: String { text }
}
