import ArgumentParser
import Foundation
import GoldenSignals
import Logging
import Market

@main
struct GoldenSignalsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "goldensignals",
        abstract: "GoldenSignals: market data in, trading signals people can trust out.",
        subcommands: [Serve.self, Migrate.self, Import.self, Ingest.self, QualityCommand.self, Generate.self, Evaluate.self, DatasetCommand.self, Keys.self, BacktestCommand.self]
    )
}

/// Options every command shares.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "PostgreSQL URL (default: $DATABASE_URL, else an embedded cluster under --data-dir).")
    var databaseURL: String?

    @Option(name: .long, help: "Folder for the embedded database and local state (default: $GS_DATA_DIR or .goldensignals).")
    var dataDir: String?

    @Option(name: .long, help: "Folder of the versioned SQL migrations.")
    var migrations: String?

    /// The configuration from the environment, overridden by these flags.
    func configuration() throws -> AppConfiguration {
        var c = try AppConfiguration.fromEnvironment()
        if let databaseURL { c.databaseURL = databaseURL }
        if let dataDir { c.dataDirectory = dataDir }
        if let migrations { c.migrationsDirectory = migrations }
        LogSetup.bootstrap(level: c.logLevel, format: c.logFormat)
        return c
    }
}

/// Prints an error a person can act on and exits non-zero.
func fail(_ error: any Error) -> ExitCode {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    return ExitCode(1)
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the service (migrates first unless --no-migrate).")

    @OptionGroup var common: CommonOptions

    @Option(help: "Address to listen on (default: $GS_HOST or 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (default: $GS_PORT or 8080).")
    var port: Int?

    @Flag(help: "Do not apply pending migrations on start.")
    var noMigrate = false

    @Flag(help: "Seed the demo universe into an empty database (labelled as demo data everywhere).")
    var demo = false

    func run() throws {
        var config = try common.configuration()
        if let host { config.host = host }
        if let port { config.port = port }
        if demo { config.demo = true }
        let logger = Logger(label: "goldensignals")
        let app: Application
        do { app = try Application(configuration: config, logger: logger, migrate: !noMigrate) } catch { throw fail(error) }
        if config.demo {
            do {
                let seeded = try DemoUniverse.seedIfEmpty(symbols: app.symbols, imports: app.imports)
                if seeded > 0 { logger.notice("demo universe seeded", metadata: ["bars": "\(seeded)"]) }
            } catch {
                app.close()
                throw fail(error)
            }
        }
        do { try app.serve(host: config.host, port: config.port) } catch {
            app.close()
            throw fail(error)
        }
    }
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations (up) or list applied and pending ones (status).")

    enum Action: String, ExpressibleByArgument { case up, status }

    @Argument(help: "up or status") var action: Action = .up
    @OptionGroup var common: CommonOptions

    func run() throws {
        let config = try common.configuration()
        let logger = Logger(label: "goldensignals.migrate")
        do {
            let app = try Application(configuration: config, logger: logger, migrate: action == .up)
            defer { app.close() }
            let status = try app.pool.withConnection { try app.migrator.status(on: $0) }
            for s in status {
                let state: String
                switch s.state {
                case .applied(let at, let ms): state = "applied  \(ISO8601DateFormatter().string(from: at))  \(ms) ms"
                case .pending: state = "pending"
                case .changed: state = "CHANGED since it was applied"
                case .missingFile: state = "MISSING file"
                }
                let version = String(s.version)
                print(String(repeating: "0", count: max(0, 4 - version.count)) + version + "  "
                      + s.name.padding(toLength: max(32, s.name.count), withPad: " ", startingAt: 0) + "  " + state)
            }
        } catch { throw fail(error) }
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Bulk-import OHLCV CSV files for one symbol.")

    @Option(help: "The symbol the files hold (created when new).") var symbol: String
    @Option(help: "The bars' timeframe: 1m 5m 15m 30m 1h 4h 1d 1w.") var timeframe: String = "1d"
    @Option(help: "equity, etf, crypto, fx or index (default: inferred from the symbol).") var assetClass: String?
    @Option(help: "Time zone of timestamps without one: utc, america/new_york, europe/berlin.") var tz: String = "utc"
    @Argument(help: "CSV files.") var files: [String]
    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard Timeframe(rawValue: timeframe) != nil else { throw ValidationError("--timeframe must be one of \(Timeframe.allNames)") }
        if let assetClass, AssetClass(rawValue: assetClass) == nil { throw ValidationError("--asset-class must be one of \(AssetClass.allNames)") }
        guard LocalTimeZone(name: tz) != nil else { throw ValidationError("--tz must be one of \(LocalTimeZone.names.joined(separator: ", "))") }
        guard NewSymbol.isValidTicker(symbol.uppercased()) else { throw ValidationError("--symbol '\(symbol)' is not a valid ticker") }
        guard !files.isEmpty else { throw ValidationError("name at least one file") }
    }

    func run() throws {
        let config = try common.configuration()
        let logger = Logger(label: "goldensignals.import")
        let tf = Timeframe(rawValue: timeframe)!
        let ticker = symbol.uppercased()
        let cls = assetClass.flatMap(AssetClass.init(rawValue:)) ?? AssetClass.infer(fromSymbol: ticker)
        let zone = LocalTimeZone(name: tz) ?? .utc
        let progress = Progress(total: files.count, enabled: isatty(STDERR_FILENO) == 1)
        var failed = false
        do {
            let app = try Application(configuration: config, logger: logger)
            defer { app.close() }
            for (i, file) in files.enumerated() {
                progress.show(done: i, label: file)
                do {
                    let started = Date()
                    let s = try app.imports.importFile(path: file, symbol: NewSymbol(symbol: ticker, assetClass: cls), timeframe: tf, timeZone: zone)
                    progress.clear()
                    let seconds = Date().timeIntervalSince(started)
                    print("\(file): \(s.symbol) \(s.timeframe.rawValue) \(s.format): \(s.dataRows) rows, \(s.inserted) inserted, \(s.updated) updated, \(s.unchanged) unchanged, \(s.rejectedTotal) rejected, \(s.duplicatesReplaced) duplicates replaced (\(String(format: "%.2f", seconds)) s)")
                    for r in s.rejected.prefix(20) { print("  line \(r.line): \(r.reason)") }
                    if s.rejectedTotal > 20 { print("  … and \(s.rejectedTotal - 20) more rejected rows") }
                } catch {
                    progress.clear()
                    print("\(file): FAILED: \(error)")
                    failed = true
                }
            }
            progress.clear()
        } catch { throw fail(error) }
        if failed { throw ExitCode(1) }
    }
}

struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Backfill bars from the configured providers (resumes from its checkpoint).")

    @Option(help: "The symbol (must exist).") var symbol: String
    @Option(help: "Timeframe: 1m 5m 15m 30m 1h 4h 1d 1w.") var timeframe: String = "1d"
    @Option(help: "Start date (YYYY-MM-DD or RFC 3339); default: after the checkpoint or a year back.") var from: String?
    @Option(help: "End date (default: now).") var to: String?
    @OptionGroup var common: CommonOptions

    func run() throws {
        let config = try common.configuration()
        guard let tf = Timeframe(rawValue: timeframe) else { throw ValidationError("--timeframe must be one of \(Timeframe.allNames)") }
        let fromTs = try from.map { v -> Int64 in guard let t = RFC3339.parse(v) else { throw ValidationError("--from: not a date") }; return t }
        let toTs = try to.map { v -> Int64 in guard let t = RFC3339.parse(v) else { throw ValidationError("--to: not a date") }; return t }
        do {
            let app = try Application(configuration: config, logger: Logger(label: "goldensignals.ingest"))
            defer { app.close() }
            guard let record = try app.symbols.find(symbol.uppercased()) else {
                throw ValidationError("unknown symbol \(symbol.uppercased()); import or create it first")
            }
            let service = app.ingest
            let now = Int64(Date().timeIntervalSince1970)
            let start = try fromTs ?? service.start(for: record, timeframe: tf, now: now)
            let result = try service.backfill(record, timeframe: tf, from: start, to: toTs ?? now)
            print("\(record.symbol) \(tf.rawValue): \(result.bars) bars in \(result.chunks) chunks"
                  + (result.forming > 0 ? "; \(result.forming) still forming, left for a later run" : ""))
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
    }
}

struct QualityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "quality", abstract: "Compute and print a symbol's data-quality report.")

    @Argument(help: "The symbol.") var symbol: String
    @Option(help: "Timeframe.") var timeframe: String = "1d"
    @Option(help: "How many issues to list.") var issues: Int = 20
    @OptionGroup var common: CommonOptions

    func run() throws {
        let config = try common.configuration()
        guard let tf = Timeframe(rawValue: timeframe) else { throw ValidationError("--timeframe must be one of \(Timeframe.allNames)") }
        do {
            let app = try Application(configuration: config, logger: Logger(label: "goldensignals.quality"))
            defer { app.close() }
            guard let record = try app.symbols.find(symbol.uppercased()) else { throw ValidationError("unknown symbol \(symbol.uppercased())") }
            let report = try app.quality.refresh(record, timeframe: tf, trigger: "cli")
            print(QualityText.render(report, symbol: record.symbol, timeframe: tf, maxIssues: issues))
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the signal engine over every stored bar not scanned before (history included).")

    @Option(help: "Only this symbol (default: every symbol).") var symbol: String?
    @Option(help: "Only this timeframe (default: every timeframe with bars).") var timeframe: String?
    @OptionGroup var common: CommonOptions

    func run() throws {
        let config = try common.configuration()
        let tf = try timeframe.map { v -> Timeframe in
            guard let tf = Timeframe(rawValue: v) else { throw ValidationError("--timeframe must be one of \(Timeframe.allNames)") }
            return tf
        }
        do {
            let app = try Application(configuration: config, logger: Logger(label: "goldensignals.generate"))
            defer { app.close() }
            var ids: [Int64]?
            if let symbol {
                guard let record = try app.symbols.find(symbol.uppercased()) else { throw ValidationError("unknown symbol \(symbol.uppercased())") }
                ids = [record.id]
            }
            let progress = Progress(total: 0, enabled: isatty(STDERR_FILENO) == 1)
            let total = try app.signalService.generate(symbolIDs: ids, timeframe: tf) { done, count, label in
                progress.show(done: done, of: count, label: label)
            }
            progress.clear()
            print("\(total.series) series, \(total.barsScanned) new bars scanned: \(total.generated) signals published, \(total.rejected) candidates filtered")
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
    }
}

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score what every signal did, fit walk-forward calibrations, rescore open signals; print the figures.")

    @OptionGroup var common: CommonOptions

    func run() throws {
        let config = try common.configuration()
        do {
            let app = try Application(configuration: config, logger: Logger(label: "goldensignals.evaluate"))
            defer { app.close() }
            let s = try app.outcomeService.evaluate(wait: true)
            print("\(s.series) series scored: \(s.finalized) outcomes finalized, \(s.provisional) provisional; "
                  + "\(s.versionsFitted) calibration versions fitted (newest v\(s.latestVersion)), \(s.rescored) open signals rescored"
                  + (s.driftRecorded ? ", calibration drift recorded and refitted" : ""))
            let q = try app.outcomeService.overall()
            if let o = q["overall"] as? [String: Any] {
                func f(_ k: String) -> String { String(format: "%.4f", (o[k] as? Double) ?? 0) }
                print("published signals with a final outcome: \(o["n"] ?? 0), hit rate \(f("hit_rate"))")
                print("  Brier raw \(f("brier_raw")) → calibrated \(f("brier_calibrated")); ECE raw \(f("ece_raw")) → calibrated \(f("ece_calibrated")); log loss \(f("log_loss_calibrated"))")
                print("  average return after costs \(f("avg_return")), average R \(f("avg_r"))")
            }
            for g in q["by_strategy"] as? [[String: Any]] ?? [] {
                print("  \(g["strategy"] ?? "") \(g["timeframe"] ?? ""): "
                      + String(format: "n %d, hit rate %.3f, ECE %.4f → %.4f", (g["n"] as? Int) ?? 0, (g["hit_rate"] as? Double) ?? 0,
                               (g["ece_raw"] as? Double) ?? 0, (g["ece_calibrated"] as? Double) ?? 0))
            }
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
    }
}

/// A one-line progress bar on a terminal; nothing when output is not one. Safe to update from several
/// threads (each line is written whole).
final class Progress: @unchecked Sendable {
    private let lock = NSLock()
    let total: Int
    let enabled: Bool

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    func show(done: Int, label: String) { show(done: done, of: total, label: label) }

    func show(done: Int, of total: Int, label: String) {
        guard enabled, total > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        let width = 30
        let filled = width * done / total
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        FileHandle.standardError.write(Data("\r\(bar) \(done)/\(total) \(label.suffix(40))\u{1B}[K".utf8))
    }

    func clear() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create, list and revoke API keys.",
                                                    subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it once (only its SHA-256 is stored).")

        @Option(help: "A name for the key (who or what uses it).") var name: String
        @Option(help: "Comma-separated scopes: read, write, admin (admin includes write, write includes read).") var scopes: String = "read"
        @Option(help: "Expiry: a duration (90d, 12h, 30m) or an RFC 3339 time; none by default.") var expires: String?
        @Option(help: "Requests per second (20/s, 600/m).") var rate: String?
        @Option(help: "Bucket size: requests allowed in a burst.") var burst: Int?
        @OptionGroup var common: CommonOptions

        func run() throws {
            guard let parsedScopes = Scope.parseList(scopes) else { throw fail(ValidationError("--scopes must list read, write, admin")) }
            var spec = NewAPIKey(name: name, scopes: parsedScopes)
            if let expires {
                guard let t = KeyExpiry.parse(expires, now: Int64(Date().timeIntervalSince1970)) else {
                    throw fail(ValidationError("--expires must be a duration like 90d, 12h, 30m or an RFC 3339 time"))
                }
                spec.expiresAt = t
            }
            if let rate {
                guard let r = AccessSettings.parseRate(rate) else { throw fail(ValidationError("--rate must be like 20/s")) }
                spec.rate = r
            }
            if let burst {
                guard burst >= 1 else { throw fail(ValidationError("--burst must be ≥ 1")) }
                spec.burst = burst
            }
            let config = try common.configuration()
            do {
                let app = try Application(configuration: config, logger: Logger(label: "goldensignals.keys"))
                defer { app.close() }
                let (record, key) = try app.keys.create(spec)
                print("id       \(record.id)")
                print("name     \(record.name)")
                print("scopes   \(record.scopes.map(\.rawValue).joined(separator: ","))")
                print("rate     \(record.rate)/s, burst \(record.burst)")
                print("expires  \(record.expiresAt.map(RFC3339.format) ?? "never")")
                print("key      \(key)")
                FileHandle.standardError.write(Data("The key is shown once; store it now.\n".utf8))
            } catch { throw fail(error) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never their secrets).")
        @OptionGroup var common: CommonOptions

        func run() throws {
            let config = try common.configuration()
            do {
                let app = try Application(configuration: config, logger: Logger(label: "goldensignals.keys"))
                defer { app.close() }
                print(["id".padding(toLength: 12, withPad: " ", startingAt: 0), "prefix".padding(toLength: 16, withPad: " ", startingAt: 0),
                       "scopes".padding(toLength: 17, withPad: " ", startingAt: 0), "state".padding(toLength: 9, withPad: " ", startingAt: 0),
                       "last used".padding(toLength: 21, withPad: " ", startingAt: 0), "name"].joined(separator: " "))
                let now = Int64(Date().timeIntervalSince1970)
                for k in try app.keys.list() {
                    let state = k.revokedAt != nil ? "revoked" : k.isActive(at: now) ? "active" : "expired"
                    let scopes = k.scopes.map(\.rawValue).joined(separator: ",")
                    print([k.id, k.prefix.padding(toLength: 16, withPad: " ", startingAt: 0), scopes.padding(toLength: 17, withPad: " ", startingAt: 0),
                           state.padding(toLength: 9, withPad: " ", startingAt: 0),
                           (k.lastUsedAt.map(RFC3339.format) ?? "never").padding(toLength: 21, withPad: " ", startingAt: 0), k.name].joined(separator: " "))
                }
            } catch { throw fail(error) }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by its id.")
        @Argument(help: "The key's id (the 12 hex digits after gs_).") var id: String
        @OptionGroup var common: CommonOptions

        func run() throws {
            let config = try common.configuration()
            do {
                let app = try Application(configuration: config, logger: Logger(label: "goldensignals.keys"))
                defer { app.close() }
                let id = self.id.hasPrefix("gs_") ? String(self.id.dropFirst(3).prefix(12)) : self.id
                guard try app.keys.revoke(id: id) else { throw ValidationError("no key has id \(id)") }
                print("revoked \(id)")
            } catch { throw fail(error) }
        }
    }
}
