import Foundation
import GoldenSignals
import HTTPClient
import Logging
import Postgres

/// Paths of the repository and of the shared reference data beside it.
enum Paths {
    static let repository: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let migrations = repository + "/migrations"
    static let openAPI = repository + "/openapi.yaml"
    static let sharedData = URL(fileURLWithPath: repository).deletingLastPathComponent().path + "/shared/data"
    static func data(_ file: String) -> String { sharedData + "/" + file }
}

/// The test PostgreSQL server (started by `make test`), and a fresh database per caller, dropped when done.
enum TestDatabase {
    static let serverURL = ProcessInfo.processInfo.environment["GS_TEST_DATABASE_URL"]
        ?? "postgresql://goldensignals@127.0.0.1:55432/goldensignals_test"

    /// Creates an empty database with a unique name and returns its URL.
    static func fresh(_ label: String = "app") throws -> String {
        let name = "gs_\(label)_\(UInt32.random(in: 0...UInt32.max))_\(getpid())"
        let admin = try PostgresConnection.connect(serverURL)
        defer { admin.close() }
        try admin.execute("CREATE DATABASE \(name)")
        guard let slash = serverURL.lastIndex(of: "/") else { return serverURL }
        return String(serverURL[..<slash]) + "/" + name
    }

    /// Drops a database `fresh` made (its URL), closing any connection still open to it. Never the server's own.
    static func drop(_ url: String) {
        guard url != serverURL, let slash = url.lastIndex(of: "/") else { return }
        let name = url[url.index(after: slash)...]
        guard name.hasPrefix("gs_"), name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return }
        do {
            let admin = try PostgresConnection.connect(serverURL)
            defer { admin.close() }
            try admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        } catch {
            FileHandle.standardError.write(Data("warning: could not drop test database \(name): \(error)\n".utf8))
        }
    }
}

extension AppConfiguration {
    /// Points a test's configuration at this repository's migrations and spec and at the database at `url`
    /// (nil: an embedded one).
    mutating func useRepository(database url: String?) {
        databaseURL = url
        migrationsDirectory = Paths.migrations
        openAPIPath = Paths.openAPI
    }
}

extension Logger {
    /// A logger for tests that keeps warnings and worse.
    static func quiet(_ label: String = "test") -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .warning
        return logger
    }
}

/// An application (not serving) on the database at `url`, with no migration applied, for tests that migrate
/// step by step: a schema as it once was, filled, then the migrations after it.
func unmigratedApplication(_ url: String) throws -> Application {
    var config = AppConfiguration()
    config.useRepository(database: url)
    config.poolSize = 2
    return try Application(configuration: config, logger: .quiet(), migrate: false)
}

/// `unmigratedApplication(url)` and a connection to its database, whose schema is migrated up to, not including,
/// migration `version`: the schema as it was before it, to fill before migrating on with `app.migrator`.
func applicationBefore(migration version: Int, _ url: String) throws -> (app: Application, conn: PostgresConnection) {
    let app = try unmigratedApplication(url)
    do {
        let conn = try PostgresConnection.connect(url)
        let before = Migrator(migrations: app.migrator.migrations.filter { $0.version < version })
        guard try before.migrate(on: conn).count == before.migrations.count else {
            conn.close()
            throw PostgresError(code: .badQuery, serverMessage: "the migrations before \(version) were not all applied")
        }
        return (app, conn)
    } catch {
        app.close()
        throw error
    }
}

/// A running service on an ephemeral port against its own database.
final class TestService: @unchecked Sendable {
    let app: Application
    let port: Int
    let client = HTTPClient()
    /// The database this service made for itself, dropped when it goes away.
    private let ownDatabase: String?

    init(label: String = "app", databaseURL: String? = nil, environment: [String: String] = [:], logger: Logger? = nil,
         configure: (inout AppConfiguration) -> Void = { _ in }) throws {
        var config = try AppConfiguration.fromEnvironment(environment)
        let url = try databaseURL ?? TestDatabase.fresh(label)
        let own = databaseURL == nil ? url : nil
        ownDatabase = own
        config.useRepository(database: url)
        config.ingestInterval = 0
        config.evaluateInterval = 0
        config.scale.partitionInterval = 0
        config.scale.generateSweepInterval = 0
        config.anomalyInterval = 0   // tests run detection rounds themselves (AnomalyDetector.runOnce)
        config.poolSize = 6
        config.poolAcquireTimeout = 1
        configure(&config)
        do {
            app = try Application(configuration: config, logger: logger ?? .quiet())
        } catch {
            if let own { TestDatabase.drop(own) }
            throw error
        }
        do {
            port = try app.start(host: "127.0.0.1", port: 0)
        } catch {
            app.close()
            if let own { TestDatabase.drop(own) }
            throw error
        }
    }

    deinit {
        app.close()
        if let ownDatabase { TestDatabase.drop(ownDatabase) }
    }

    /// Sends a request to the live server.
    func request(_ method: String, _ path: String, body: String? = nil, headers: [(String, String)] = []) throws -> HTTPClientResponse {
        var r = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)", method: method, headers: headers,
                                  body: body.map { Array($0.utf8) })
        r.timeout = 10
        return try client.send(r)
    }

    func get(_ path: String, headers: [(String, String)] = []) throws -> HTTPClientResponse {
        try request("GET", path, headers: headers)
    }

    func postJSON(_ path: String, _ json: String) throws -> HTTPClientResponse {
        try request("POST", path, body: json, headers: [("Content-Type", "application/json")])
    }
}

extension HTTPClientResponse {
    /// The body parsed as a JSON object (empty when it is not one).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Keeps every log record (level, message, metadata) for a test to read.
final class LogRecords: @unchecked Sendable {
    struct Record: Sendable { let level: Logger.Level; let message: String; let metadata: Logger.Metadata }
    private let lock = NSLock()
    private var items: [Record] = []
    func add(_ r: Record) { lock.withLock { items.append(r) } }
    var all: [Record] { lock.withLock { items } }

    var logger: Logger { Logger(label: "test") { _ in Handler(records: self) } }

    struct Handler: LogHandler {
        let records: LogRecords
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            records.add(Record(level: event.level, message: event.message.description,
                               metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
        }
    }
}
