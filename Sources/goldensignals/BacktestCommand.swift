import ArgumentParser
import Foundation
import GoldenSignals
import Logging

struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Run a backtest over stored bars (stored like POST /api/v1/backtests) and print its summary (docs/BACKTESTS.md).")

    @Option(name: .customLong("strategy"), help: "A strategy (repeat for several).") var strategies: [String]
    @Option(name: .customLong("symbol"), help: "A symbol (repeat for several).") var symbols: [String]
    @Option(help: "Timeframe: 1m 5m 15m 30m 1h 4h 1d 1w.") var timeframe: String
    @Option(help: "First bar (YYYY-MM-DD or RFC 3339).") var from: String?
    @Option(help: "Last bar.") var to: String?
    @Option(name: .customLong("scenario"), help: "flash_crash, volatility_x2, gap_down, liquidity_drought, slippage_x3 (repeat).")
    var scenarios: [String] = []
    @Option(help: "next_open (default) or signal_close (optimistic, labelled).") var fill: String?
    @Option(help: "published (default: signals that pass every filter layer) or candidates.") var signals: String?
    @Option(help: "Lowest signal confidence acted on.") var minConfidence: Double?
    @Option(help: "Starting cash.") var initialCapital: Double?
    @Option(help: "A JSON object with any other POST /api/v1/backtests settings (sizing, costs, slippage, …).") var settings: String?
    @Flag(help: "Print the full result document instead of the summary.") var json = false
    @OptionGroup var common: CommonOptions

    func run() throws {
        let config = try common.configuration()
        var body: [String: Any] = [:]
        if let settings {
            guard let extra = try? JSONSerialization.jsonObject(with: Data(settings.utf8)) as? [String: Any] else {
                throw ValidationError("--settings must be a JSON object")
            }
            body = extra
        }
        body["symbols"] = symbols
        body["strategies"] = strategies
        body["timeframe"] = timeframe
        if let from { body["from"] = from }
        if let to { body["to"] = to }
        if !scenarios.isEmpty { body["scenarios"] = scenarios }
        if let fill { body["fill"] = fill }
        if let signals { body["signals"] = signals }
        if let minConfidence { body["min_confidence"] = minConfidence }
        if let initialCapital { body["initial_capital"] = initialCapital }
        let (request, errors) = BacktestRequest.parse(body)
        if !errors.isEmpty { throw ValidationError(errors.map { "\($0.field): \($0.message)" }.joined(separator: "\n")) }
        do {
            var logger = Logger(label: "goldensignals.backtest")
            logger.logLevel = .warning
            let app = try Application(configuration: config, logger: logger)
            defer { app.close() }
            let queued = try app.backtests.submit(request, owner: nil)
            let progress = Progress(total: 100, enabled: isatty(STDERR_FILENO) == 1)  // percent
            let started = Date()
            guard let run = try app.backtests.run(id: queued.id, progress: { p in progress.show(done: Int(p * 100), label: "% backtest") }) else {
                throw ValidationError("the run was taken by another process; see GET /api/v1/backtests/\(queued.id)")
            }
            progress.clear()
            guard run.status == "done", let result = run.result else {
                throw ValidationError("backtest \(run.id) \(run.status): \(run.error ?? "")")
            }
            if json { print(result) } else {
                print("backtest \(run.id) (\(String(format: "%.2f", Date().timeIntervalSince(started))) s, \(BacktestService.codeVersion))")
                print(BacktestSummary.table(result))
            }
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
    }
}
