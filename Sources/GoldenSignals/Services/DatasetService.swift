import Foundation
import HTTPServer
import Market
import Postgres
import Quality
import Signals

/// What to export: the series, the window and the table's shape, plus the quality gate.
public struct DatasetParameters: Sendable {
    public var symbols: [String]
    public var timeframe: Timeframe
    public var from: Int64?
    public var to: Int64?
    public var request: DatasetRequest
    public var minQuality: Double
    public var minCoverage: Double

    public init(symbols: [String], timeframe: Timeframe, from: Int64? = nil, to: Int64? = nil, request: DatasetRequest,
                minQuality: Double = 0.9, minCoverage: Double = 0.9) {
        self.symbols = symbols; self.timeframe = timeframe; self.from = from; self.to = to
        self.request = request; self.minQuality = minQuality; self.minCoverage = minCoverage
    }

    /// Parses the textual parameters the API and the command share.
    /// - Throws: `DatasetParameterErrors` naming every bad one.
    public static func parse(symbols: String, timeframe: Timeframe, from: Int64?, to: Int64?, features: String, labels: String,
                             normalize: String, splits: String?, format: String, minQuality: Double?, minCoverage: Double?) throws -> DatasetParameters {
        var errors: [DatasetSpecError] = []
        func attempt<T>(_ body: () throws -> T) -> T? {
            do { return try body() } catch let e as DatasetSpecError { errors.append(e); return nil } catch { return nil }
        }
        let list = symbols.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
        if list.isEmpty || list.count > 100 {
            errors.append(DatasetSpecError(field: "symbols", message: "name 1 to 100 symbols, comma-separated"))
        } else if let bad = list.first(where: { !NewSymbol.isValidTicker($0) }) {
            errors.append(DatasetSpecError(field: "symbols", message: "'\(bad.prefix(40))' is not a valid ticker"))
        } else if Set(list).count != list.count {
            errors.append(DatasetSpecError(field: "symbols", message: "a symbol is named twice"))
        }
        let fmt = DatasetRequest.Format(rawValue: format)
        if fmt == nil { errors.append(DatasetSpecError(field: "format", message: "must be csv or jsonl")) }
        let f = attempt { try DatasetFeature.parse(features, intraday: timeframe.isIntraday) }
        let l = attempt { try DatasetLabel.parse(labels) }
        let n = attempt { try DatasetRequest.parseNormalize(normalize) }
        let sp = attempt { try splits.flatMap { $0.isEmpty ? nil : try WalkForward.parse($0) } }
        guard errors.isEmpty, let f, let l, let n, let sp, let fmt else { throw DatasetParameterErrors(errors: errors) }
        let request = DatasetRequest(features: f, labels: l, normalizeWindow: n, splits: sp, format: fmt)
        return DatasetParameters(symbols: list, timeframe: timeframe, from: from, to: to, request: request,
                                 minQuality: minQuality ?? 0.9, minCoverage: minCoverage ?? 0.9)
    }

    /// The canonical parameters, as the manifest records them.
    public var canonical: [(String, String)] {
        [("symbols", symbols.joined(separator: ",")), ("timeframe", timeframe.rawValue),
         ("from", from.map(RFC3339.format) ?? ""), ("to", to.map(RFC3339.format) ?? ""),
         ("features", request.features.map(\.name).joined(separator: ",")),
         ("labels", request.labels.map(\.spec).joined(separator: ",")), ("normalize", request.normalizeSpec),
         ("splits", request.splits?.spec ?? ""), ("format", request.format.rawValue),
         ("min_quality", String(minQuality)), ("min_coverage", String(minCoverage))]
    }
}

/// Every bad dataset parameter.
public struct DatasetParameterErrors: Error, CustomStringConvertible {
    public var errors: [DatasetSpecError]
    public var description: String { errors.map(\.description).joined(separator: "; ") }
}

/// One series of a dataset: in, or out with the reason.
public struct DatasetSeries: Sendable {
    public var record: SymbolRecord
    public var qualityScore: Double?
    /// Where the score comes from: `stored report <time>` or `computed at export`.
    public var qualitySource: String
    public var coverage: Double
    public var rows: Int
    public var first: Int64?
    public var last: Int64?
    public var excludedBecause: String?
    public var included: Bool { excludedBecause == nil }
}

/// The series of a dataset and the walk-forward boundaries they share.
public struct DatasetPlan: Sendable {
    public var parameters: DatasetParameters
    public var series: [DatasetSeries]
    public var boundaries: [Int64]
    public var included: [DatasetSeries] { series.filter(\.included) }
}

/// Feature and label tables for models: plans a dataset (quality gate, splits), computes each series'
/// table and writes it as CSV or JSON Lines, one series at a time so memory stays that of one series.
public struct DatasetService: Sendable {
    let symbols: SymbolStore
    let bars: BarStore
    let reports: QualityStore
    let outcomes: OutcomeStore

    /// Bumped whenever a formula, a column or the number format changes: the same version, parameters
    /// and bars give the same bytes.
    public static let codeVersion = "goldensignals-datasets/1"

    public init(app: Application) {
        symbols = app.symbols; bars = app.bars; reports = app.qualityReports; outcomes = app.outcomes
    }

    /// Resolves the symbols, applies the quality and coverage gate, and fixes the split boundaries.
    /// - Throws: 404 `HTTPError` for an unknown symbol.
    public func plan(_ p: DatasetParameters) throws -> DatasetPlan {
        var out: [DatasetSeries] = []
        for ticker in p.symbols {
            guard let record = try symbols.find(ticker) else {
                throw HTTPError(.notFound, detail: "unknown symbol \(ticker); create it with POST /api/v1/symbols")
            }
            let all = try bars.all(symbolID: record.id, timeframe: p.timeframe)
            let times = all.map(\.timestamp)
            let lo = p.from.map { f in times.firstIndex { $0 >= f } ?? times.count } ?? 0
            let hi = max(lo, p.to.map { t in times.lastIndex { $0 <= t }.map { $0 + 1 } ?? 0 } ?? times.count)
            let calendar = Calendars.calendar(for: record.assetClass, exchange: record.exchange)
            let coverage = Self.coverage(Array(times[lo..<hi]), timeframe: p.timeframe, calendar: calendar)
            var score: Double?
            var source = "none"
            if !all.isEmpty {
                if let stored = try reports.latest(symbolID: record.id, timeframe: p.timeframe) {
                    score = stored.score; source = "stored report of \(RFC3339.format(stored.generatedAt))"
                } else {
                    score = QualityChecker.report(QualityInput(bars: all, timeframe: p.timeframe, assetClass: record.assetClass,
                                                               calendar: calendar, now: Int64(Date().timeIntervalSince1970))).score
                    source = "computed at export"
                }
            }
            var reason: String?
            if all.isEmpty {
                reason = "no \(p.timeframe.rawValue) bars are stored"
            } else if hi == lo {
                reason = "no bars between from and to"
            } else if let s = score, s < p.minQuality {
                reason = "quality score \(Self.short(s)) is below min_quality \(Self.short(p.minQuality))"
            } else if coverage < p.minCoverage {
                reason = "coverage \(Self.short(coverage)) of the expected bars is below min_coverage \(Self.short(p.minCoverage))"
            }
            out.append(DatasetSeries(record: record, qualityScore: score, qualitySource: source, coverage: coverage, rows: hi - lo,
                                     first: hi > lo ? times[lo] : nil, last: hi > lo ? times[hi - 1] : nil, excludedBecause: reason))
        }
        var boundaries: [Int64] = []
        if let wf = p.request.splits {
            let inc = out.filter(\.included)
            if let first = inc.compactMap(\.first).min(), let last = inc.compactMap(\.last).max() {
                boundaries = wf.boundaries(first: first, last: last)
            }
        }
        return DatasetPlan(parameters: p, series: out, boundaries: boundaries)
    }

    /// Bars present over bars the exchange calendar expects between the first and the last bar (at most 1).
    static func coverage(_ times: [Int64], timeframe: Timeframe, calendar: any TradingCalendar) -> Double {
        guard let first = times.first, let last = times.last else { return 0 }
        if timeframe == .w1 { return 1 }
        var expected = 0
        var day = CivilDate(unixSeconds: first)
        let end = CivilDate(unixSeconds: last)
        while day <= end {
            if let s = calendar.session(on: day) {
                expected += timeframe.isIntraday ? Int(max(1, (s.close - s.open + timeframe.seconds - 1) / timeframe.seconds)) : 1
            }
            day = day.adding(days: 1)
        }
        return expected == 0 ? 1 : min(1, Double(times.count) / Double(expected))
    }

    static func short(_ v: Double) -> String { String(format: "%.4f", v) }

    /// One series' table (bars read now, computed over the whole stored history).
    public func table(_ s: DatasetSeries, _ plan: DatasetPlan) throws -> DatasetTable {
        let p = plan.parameters
        // An export reads whole histories: the pool's longer statement timeout applies.
        let series = PriceSeries(try bars.pool.withLongConnection { try bars.all(symbolID: s.record.id, timeframe: p.timeframe, on: $0) })
        let info = SeriesInfo(symbol: s.record.symbol, timeframe: p.timeframe, assetClass: s.record.assetClass,
                              calendar: Calendars.calendar(for: s.record.assetClass, exchange: s.record.exchange))
        let points = p.request.labels.contains(where: \.needsSignalOutcomes)
            ? try outcomes.outcomePoints(symbolID: s.record.id, timeframe: p.timeframe) : []
        return DatasetTable(symbol: s.record.symbol, series: series, info: info, request: p.request,
                            from: p.from, to: p.to, boundaries: plan.boundaries, outcomes: points)
    }

    /// Every included series as one stream (one header for CSV), in chunks of about 64 KiB.
    /// - Returns: false when `emit` asked to stop.
    @discardableResult
    public func export(_ plan: DatasetPlan, emit: ([UInt8]) -> Bool) throws -> Bool {
        var buffer = DatasetBuffer()
        DatasetTable.header(plan.parameters.request, into: &buffer)
        func flush(_ b: inout DatasetBuffer) -> Bool {
            let ok = emit(b.bytes)
            b.removeAll()
            return ok
        }
        for s in plan.included {
            let t = try table(s, plan)
            guard t.write(plan.parameters.request, into: &buffer, flush: flush) else { return false }
        }
        return buffer.count == 0 || flush(&buffer)
    }

    /// One series as the file `dataset export` writes (header and rows) and its SHA-256.
    public func file(_ s: DatasetSeries, _ plan: DatasetPlan) throws -> (bytes: [UInt8], sha256: String, rows: Int) {
        let t = try table(s, plan)
        var buffer = DatasetBuffer(capacity: 64 + t.rows.count * 256)
        DatasetTable.header(plan.parameters.request, into: &buffer)
        t.write(plan.parameters.request, into: &buffer, flushAt: .max) { _ in true }
        let bytes = buffer.bytes
        return (bytes, Migrator.sha256Hex(bytes), t.rows.count)
    }

    /// The files of every included series, in the plan's order, computed `concurrency` series at a time
    /// (a series is one task: its bars, features, labels and CSV). `done` is called as each one finishes.
    public func files(_ plan: DatasetPlan, concurrency: Int = 2,
                      done: @escaping @Sendable (_ finished: Int, _ symbol: String) -> Void = { _, _ in })
        throws -> [(series: DatasetSeries, bytes: [UInt8], sha256: String, rows: Int)] {
        let included = plan.included
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var items: [(bytes: [UInt8], sha256: String, rows: Int)?]
            var error: (any Error)?
            var finished = 0
            var next = 0
            init(_ n: Int) { items = Array(repeating: nil, count: n) }
        }
        let results = Results(included.count)
        let service = self
        DispatchQueue.concurrentPerform(iterations: max(1, min(concurrency, included.count))) { _ in
            while true {
                let i: Int? = results.lock.withLock {
                    guard results.error == nil, results.next < included.count else { return nil }
                    defer { results.next += 1 }
                    return results.next
                }
                guard let i else { return }
                do {
                    let f = try service.file(included[i], plan)
                    let finished = results.lock.withLock { () -> Int in
                        results.items[i] = f
                        results.finished += 1
                        return results.finished
                    }
                    done(finished, included[i].record.symbol)
                } catch {
                    results.lock.withLock { if results.error == nil { results.error = error } }
                }
            }
        }
        if let error = results.error { throw error }
        return zip(included, results.items).map { s, f in (s, f!.bytes, f!.sha256, f!.rows) }
    }

    /// The file name of a series in an export folder.
    public static func fileName(_ s: DatasetSeries, _ p: DatasetParameters) -> String {
        "\(s.record.symbol)_\(p.timeframe.rawValue).\(p.request.format.rawValue)"
    }

    /// The manifest: code version, parameters, columns with formulas and warm-ups, included series with
    /// their rows and checksums (`files`: name, sha256, rows per included symbol), excluded series with reasons.
    public func manifest(_ plan: DatasetPlan, files: [String: (name: String?, sha256: String, rows: Int)]) -> [UInt8] {
        let p = plan.parameters
        var w = JSONWriter(capacity: 4096)
        w.beginObject()
        w.key("code_version"); w.string(Self.codeVersion)
        w.key("build"); if let b = ProcessInfo.processInfo.environment["GS_BUILD_COMMIT"] { w.string(b) } else { w.null() }
        w.key("parameters"); w.beginObject(); for (k, v) in p.canonical { w.key(k); w.string(v) }; w.endObject()
        w.key("columns"); w.beginArray(); for c in p.request.columns { w.string(c) }; w.endArray()
        w.key("features"); w.beginArray()
        for f in p.request.features {
            w.beginObject()
            w.key("name"); w.string(f.name)
            w.key("formula"); w.string(f.formula)
            w.key("warmup_bars"); w.number(f.warmup + (p.request.normalizeWindow.map { f.isCalendar ? 0 : $0 - 1 } ?? 0))
            w.key("normalized"); w.bool(p.request.normalizeWindow != nil && !f.isCalendar)
            w.endObject()
        }
        w.endArray()
        w.key("labels"); w.beginArray()
        for l in p.request.labels {
            w.beginObject()
            w.key("spec"); w.string(l.spec)
            w.key("columns"); w.beginArray(); for c in l.columns { w.string(c) }; w.endArray()
            w.key("horizon_bars"); w.number(l.horizon)
            w.endObject()
        }
        w.endArray()
        w.key("past_end_column"); w.string(DatasetLabel.pastEndColumn)
        w.key("splits")
        if let wf = p.request.splits {
            w.beginObject()
            w.key("method"); w.string("walk_forward")
            w.key("folds"); w.number(wf.folds)
            w.key("embargo_bars"); if let e = wf.embargo { w.number(e) } else { w.string("1% of each series' rows, at least 1") }
            w.key("purge_horizon_bars"); w.number(p.request.horizon)
            w.key("boundaries"); w.beginArray(); for b in plan.boundaries { w.string(RFC3339.format(b)) }; w.endArray()
            w.endObject()
        } else { w.null() }
        w.key("included"); w.beginArray()
        for s in plan.included {
            w.beginObject()
            seriesFields(&w, s)
            if let f = files[s.record.symbol] {
                if let name = f.name { w.key("file"); w.string(name) }
                w.key("rows"); w.number(f.rows)
                w.key("sha256"); w.string(f.sha256)
            }
            w.endObject()
        }
        w.endArray()
        w.key("excluded"); w.beginArray()
        for s in plan.series where !s.included {
            w.beginObject()
            seriesFields(&w, s)
            w.key("reason"); w.string(s.excludedBecause ?? "")
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    private func seriesFields(_ w: inout JSONWriter, _ s: DatasetSeries) {
        w.key("symbol"); w.string(s.record.symbol)
        w.key("demo"); w.bool(s.record.isDemo)
        w.key("quality_score"); if let q = s.qualityScore { w.number(q) } else { w.null() }
        w.key("quality_source"); w.string(s.qualitySource)
        w.key("coverage"); w.number(s.coverage)
        w.key("first"); if let f = s.first { w.string(RFC3339.format(f)) } else { w.null() }
        w.key("last"); if let l = s.last { w.string(RFC3339.format(l)) } else { w.null() }
    }
}
