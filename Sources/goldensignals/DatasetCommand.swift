import ArgumentParser
import Foundation
import GoldenSignals
import Logging
import Market

struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dataset", abstract: "Feature and label tables for models.",
                                                    subcommands: [DatasetExport.self])
}

struct DatasetExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write one file per symbol and a manifest.json (parameters, code version, checksums, excluded series with reasons).")

    @Option(help: "Comma-separated symbols.") var symbols: String
    @Option(help: "Timeframe: 1m 5m 15m 30m 1h 4h 1d 1w.") var timeframe: String = "1d"
    @Option(help: "First bar (YYYY-MM-DD or RFC 3339).") var from: String?
    @Option(help: "Last bar.") var to: String?
    @Option(help: "all or a comma list of feature names (docs/DATASETS.md).") var features: String = "all"
    @Option(help: "e.g. forward_return:5,triple_barrier:10:2:1 (empty: none).") var labels: String = ""
    @Option(help: "none or rolling:N.") var normalize: String = "none"
    @Option(help: "walk_forward:K or walk_forward:K:E.") var splits: String?
    @Option(help: "csv or jsonl.") var format: String = "csv"
    @Option(help: "Leave out series whose quality score is below this.") var minQuality: Double = 0.9
    @Option(help: "Leave out series with less of the expected bars than this.") var minCoverage: Double = 0.9
    @Option(help: "Output folder (created when missing).") var out: String
    @OptionGroup var common: CommonOptions

    func run() throws {
        let config = try common.configuration()
        guard let tf = Timeframe(rawValue: timeframe) else { throw ValidationError("--timeframe must be one of \(Timeframe.allNames)") }
        let fromTs = try from.map { v -> Int64 in guard let t = RFC3339.parse(v) else { throw ValidationError("--from: not a date") }; return t }
        let toTs = try to.map { v -> Int64 in guard let t = RFC3339.parse(v) else { throw ValidationError("--to: not a date") }; return t }
        let parameters: DatasetParameters
        do {
            parameters = try DatasetParameters.parse(symbols: symbols, timeframe: tf, from: fromTs, to: toTs, features: features, labels: labels,
                                                     normalize: normalize, splits: splits, format: format,
                                                     minQuality: minQuality, minCoverage: minCoverage)
        } catch let e as DatasetParameterErrors {
            throw ValidationError(e.errors.map { "--\($0.field.replacingOccurrences(of: "_", with: "-")): \($0.message)" }.joined(separator: "\n"))
        }
        do {
            let app = try Application(configuration: config, logger: Logger(label: "goldensignals.dataset"))
            defer { app.close() }
            let service = DatasetService(app: app)
            let plan = try service.plan(parameters)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let included = plan.included
            let progress = Progress(total: included.count, enabled: isatty(STDERR_FILENO) == 1)
            var files: [String: (name: String?, sha256: String, rows: Int)] = [:]
            var totalRows = 0
            let started = Date()
            progress.show(done: 0, label: included.first?.record.symbol ?? "")
            // Two series at a time (the machine's cores); each file is the same whatever the order.
            for f in try service.files(plan, concurrency: 2, done: { finished, symbol in progress.show(done: finished, label: symbol) }) {
                let name = DatasetService.fileName(f.series, parameters)
                try Data(f.bytes).write(to: URL(fileURLWithPath: out).appendingPathComponent(name))
                files[f.series.record.symbol] = (name, f.sha256, f.rows)
                totalRows += f.rows
            }
            progress.show(done: included.count, label: "manifest")
            try Data(service.manifest(plan, files: files)).write(to: URL(fileURLWithPath: out).appendingPathComponent("manifest.json"))
            progress.clear()
            let seconds = Date().timeIntervalSince(started)
            print("\(included.count) series, \(totalRows) rows written to \(out) in \(String(format: "%.2f", seconds)) s")
            for s in plan.series where !s.included {
                print("  left out \(s.record.symbol): \(s.excludedBecause ?? "")")
            }
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
    }
}
