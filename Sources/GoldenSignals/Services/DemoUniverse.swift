import Foundation
import Primitives
import Market

/// A deterministic demo universe for `make run`: about 20 fictional symbols with five years of daily
/// bars and 30 days of 1-minute bars for a few, with regime changes, volume patterns and a few
/// injected defects. Every symbol ends in `.DEMO`, is flagged `is_demo`, and every bar has source
/// `demo`, so no response can pass it off as market data. It is seeded only into an empty database
/// and only when asked for (`serve --demo` or `GS_DEMO=1`); it never fills in missing real data.
public enum DemoUniverse {
    struct Spec {
        var ticker: String
        var name: String
        var assetClass: AssetClass
        var price: Double
        var drift: Double        // annual
        var vol: Double          // annual
        var volume: Double       // typical daily volume
        var minuteBars = false
    }

    static let specs: [Spec] = [
        Spec(ticker: "ACME.DEMO", name: "Acme Industries (demo)", assetClass: .equity, price: 120, drift: 0.08, vol: 0.28, volume: 4_000_000, minuteBars: true),
        Spec(ticker: "BOLT.DEMO", name: "Bolt Motors (demo)", assetClass: .equity, price: 45, drift: 0.15, vol: 0.55, volume: 12_000_000, minuteBars: true),
        Spec(ticker: "CRWN.DEMO", name: "Crown Foods (demo)", assetClass: .equity, price: 68, drift: 0.05, vol: 0.18, volume: 2_500_000),
        Spec(ticker: "DLTA.DEMO", name: "Delta Logistics (demo)", assetClass: .equity, price: 33, drift: 0.02, vol: 0.32, volume: 3_000_000),
        Spec(ticker: "EVRG.DEMO", name: "Evergreen Power (demo)", assetClass: .equity, price: 52, drift: 0.04, vol: 0.2, volume: 1_800_000),
        Spec(ticker: "FLUX.DEMO", name: "Flux Semiconductors (demo)", assetClass: .equity, price: 210, drift: 0.2, vol: 0.45, volume: 6_000_000),
        Spec(ticker: "GRID.DEMO", name: "Grid Telecom (demo)", assetClass: .equity, price: 28, drift: 0.0, vol: 0.25, volume: 5_000_000),
        Spec(ticker: "HALO.DEMO", name: "Halo Health (demo)", assetClass: .equity, price: 95, drift: 0.07, vol: 0.3, volume: 2_200_000),
        Spec(ticker: "IONX.DEMO", name: "Ion Exploration (demo)", assetClass: .equity, price: 14, drift: -0.05, vol: 0.6, volume: 9_000_000),
        Spec(ticker: "JADE.DEMO", name: "Jade Retail (demo)", assetClass: .equity, price: 76, drift: 0.06, vol: 0.26, volume: 3_300_000),
        Spec(ticker: "KITE.DEMO", name: "Kite Software (demo)", assetClass: .equity, price: 150, drift: 0.18, vol: 0.4, volume: 4_500_000),
        Spec(ticker: "LOOM.DEMO", name: "Loom Textiles (demo)", assetClass: .equity, price: 22, drift: 0.01, vol: 0.35, volume: 1_200_000),
        Spec(ticker: "MESA.DEMO", name: "Mesa Mining (demo)", assetClass: .equity, price: 41, drift: 0.03, vol: 0.38, volume: 2_700_000),
        Spec(ticker: "NOVA.DEMO", name: "Nova Biotech (demo)", assetClass: .equity, price: 63, drift: 0.1, vol: 0.5, volume: 3_800_000),
        Spec(ticker: "IDX.DEMO", name: "Broad Market Fund (demo)", assetClass: .etf, price: 400, drift: 0.07, vol: 0.16, volume: 60_000_000, minuteBars: true),
        Spec(ticker: "TECH.DEMO", name: "Tech Sector Fund (demo)", assetClass: .etf, price: 310, drift: 0.11, vol: 0.22, volume: 30_000_000),
        Spec(ticker: "BOND.DEMO", name: "Treasury Bond Fund (demo)", assetClass: .etf, price: 98, drift: 0.01, vol: 0.07, volume: 8_000_000),
        Spec(ticker: "BTC-USD.DEMO", name: "Bitcoin (demo)", assetClass: .crypto, price: 30_000, drift: 0.3, vol: 0.7, volume: 25_000),
        Spec(ticker: "ETH-USD.DEMO", name: "Ether (demo)", assetClass: .crypto, price: 1_800, drift: 0.25, vol: 0.8, volume: 300_000),
        Spec(ticker: "SOL-USD.DEMO", name: "Solana (demo)", assetClass: .crypto, price: 40, drift: 0.2, vol: 1.0, volume: 2_000_000),
    ]

    /// Seeds the universe when the database has no symbols at all.
    /// - Returns: the number of bars written (0 when the database was not empty).
    public static func seedIfEmpty(symbols: SymbolStore, imports: ImportService,
                                   now: Int64 = Int64(Date().timeIntervalSince1970)) throws -> Int {
        guard try symbols.count() == 0 else { return 0 }
        var total = 0
        for spec in specs {
            let (record, _) = try symbols.ensure(NewSymbol(symbol: spec.ticker, name: spec.name, assetClass: spec.assetClass,
                                                               exchange: spec.assetClass == .crypto ? "DEMO-CRYPTO" : "NYSE",
                                                               currency: "USD", isDemo: true))
            let calendar = Calendars.calendar(for: spec.assetClass, exchange: record.exchange)
            let daily = dailyBars(spec, calendar: calendar, now: now)
            total += try imports.store(daily, for: record, timeframe: .d1, source: "demo", trigger: "demo").inserted
            if spec.minuteBars {
                let minutes = minuteBars(spec, calendar: calendar, now: now, lastClose: daily.last?.close ?? spec.price)
                total += try imports.store(minutes, for: record, timeframe: .m1, source: "demo", trigger: "demo").inserted
            }
        }
        return total
    }

    /// The sessions of the last `count` trading days before `now` (completed sessions only).
    static func sessions(_ calendar: any TradingCalendar, before now: Int64, count: Int) -> [TradingSession] {
        var out: [TradingSession] = []
        var day = CivilDate(unixSeconds: now)
        while out.count < count {
            if let s = calendar.session(on: day), s.close <= now { out.append(s) }
            day = day.adding(days: -1)
        }
        return out.reversed()
    }

    /// Five years of daily bars: a regime-switching random walk with volume that follows volatility.
    static func dailyBars(_ spec: Spec, calendar: any TradingCalendar, now: Int64) -> [Bar] {
        let days = spec.assetClass == .crypto ? 5 * 365 : 5 * 252
        var rng = SplitMix64(seed: seed(spec.ticker))
        var price = spec.price
        var regimeDrift = spec.drift, regimeVol = spec.vol, regimeLeft = 0
        var bars: [Bar] = []
        let periods = spec.assetClass == .crypto ? 365.0 : 252.0
        for (i, session) in sessions(calendar, before: now, count: days).enumerated() {
            if regimeLeft == 0 {   // a new regime: bull, bear or sideways, calm or volatile
                regimeLeft = 60 + Int(rng.next() % 180)
                let kind = rng.next() % 3
                regimeDrift = kind == 0 ? spec.drift + 0.25 : kind == 1 ? spec.drift - 0.3 : spec.drift * 0.2
                regimeVol = spec.vol * (rng.unit() < 0.3 ? 1.8 : 0.9)
            }
            regimeLeft -= 1
            let sigma = regimeVol / periods.squareRoot()
            let ret = regimeDrift / periods + sigma * rng.gaussian()
            let open = price * (1 + sigma * 0.3 * rng.gaussian())
            let close = max(0.01, price * exp(ret))
            let range = abs(rng.gaussian()) * sigma * price * 0.8
            let high = max(open, close) + range * rng.unit()
            let low = max(0.005, min(open, close) - range * rng.unit())
            let weekday = CivilDate(unixSeconds: session.open).weekday
            let dayFactor = weekday == 1 ? 1.1 : weekday == 5 ? 0.9 : 1.0
            let volume = (spec.volume * dayFactor * (0.6 + 0.8 * rng.unit()) * (1 + 12 * abs(ret))).rounded()
            var bar = Bar(timestamp: session.date.unixSeconds, open: round4(open), high: round4(high), low: round4(low),
                          close: round4(close), volume: volume)
            // A few injected defects, so that the quality reports have something real to find.
            if spec.ticker == "LOOM.DEMO", i == days - 40 { swap(&bar.high, &bar.low) }          // High < Low
            if spec.ticker == "MESA.DEMO", i == days - 90 { bar.open = 0 }                         // missing open
            if spec.ticker == "GRID.DEMO", i == days - 30 { bar.volume = 0 }                       // zero volume in session
            if spec.ticker == "DLTA.DEMO", i == days - 120 { price = close; continue }             // a missing session
            bars.append(bar)
            price = close
            if spec.ticker == "KITE.DEMO", i == days - 200 {                                        // a 2:1 split
                price /= 2
            }
        }
        if spec.ticker == "KITE.DEMO" {
            // Volume doubles after the split, as it would.
            let splitAt = bars.count - 199
            for j in splitAt..<bars.count { bars[j].volume *= 2 }
        }
        return bars
    }

    /// 30 sessions of 1-minute bars (regular hours for equities, every minute for crypto).
    static func minuteBars(_ spec: Spec, calendar: any TradingCalendar, now: Int64, lastClose: Double) -> [Bar] {
        var rng = SplitMix64(seed: seed(spec.ticker) ^ 0x5EED)
        var price = lastClose
        var bars: [Bar] = []
        let sigma = spec.vol / (252.0 * 390.0).squareRoot()
        for session in sessions(calendar, before: now, count: 30) {
            let minutes = Int((session.close - session.open) / 60)
            for m in 0..<minutes {
                let u = Double(m) / Double(max(1, minutes - 1))
                let smile = 0.6 + 1.6 * (u - 0.5) * (u - 0.5) * 4   // volume is heavier at the open and the close
                let ret = sigma * rng.gaussian() * smile.squareRoot()
                let open = price
                let close = max(0.01, price * exp(ret))
                let wiggle = abs(rng.gaussian()) * sigma * price * 0.5
                bars.append(Bar(timestamp: session.open + Int64(m) * 60, open: round4(open), high: round4(max(open, close) + wiggle),
                                low: round4(max(0.005, min(open, close) - wiggle)), close: round4(close),
                                volume: (spec.volume / 390 * smile * (0.5 + rng.unit())).rounded()))
                price = close
            }
        }
        return bars
    }

    static func round4(_ v: Double) -> Double { (v * 10_000).rounded() / 10_000 }

    static func seed(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }
}

/// The demo universe draws from `SplitMix64` (Primitives): the demo data must be the same every run.
extension SplitMix64 {
    /// Standard normal (Box–Muller).
    mutating func gaussian() -> Double {
        let u1 = max(unit(), 1e-300), u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
