import Foundation
public import Logging

/// Applies `migrations/NNNN_description.sql` files in version order, each in its own transaction, recording them in
/// `schema_migrations` (in the first schema of the connection's `search_path`). An advisory lock serialises replicas.
public struct Migrator: Sendable {
    /// The migrations, sorted by version.
    public let migrations: [Migration]

    /// Reads every `*.sql` file in `directory`; other files are ignored.
    /// - Throws: `MigrationError.badFileName` or `.duplicateVersion`.
    public init(directory: String) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw MigrationError.badFileName("\(directory) (cannot read directory: \(error))")
        }
        var migrations: [Migration] = []
        for fileName in names where fileName.hasSuffix(".sql") {
            guard let (version, name) = Self.parse(fileName: fileName) else { throw MigrationError.badFileName(fileName) }
            let path = (directory as NSString).appendingPathComponent(fileName)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw MigrationError.badFileName("\(fileName) (cannot read file)")
            }
            let bytes = [UInt8](data)
            guard let sql = String(validating: bytes, as: UTF8.self) else {
                throw MigrationError.badFileName("\(fileName) (not UTF-8)")
            }
            migrations.append(Migration(version: version, name: name, fileName: fileName, sql: sql,
                                        checksum: Self.sha256Hex(bytes)))
        }
        try self.init(checked: migrations)
    }

    /// Uses the given migrations (sorted here by version); duplicate versions trap.
    public init(migrations: [Migration]) {
        do {
            try self.init(checked: migrations)
        } catch {
            preconditionFailure("\(error)")
        }
    }

    private init(checked migrations: [Migration]) throws {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.version == b.version {
            throw MigrationError.duplicateVersion(a.version)
        }
        self.migrations = sorted
    }

    /// Splits `0001_create_bars.sql` into (1, "create_bars").
    static func parse(fileName: String) -> (Int, String)? {
        guard fileName.hasSuffix(".sql"), let underscore = fileName.firstIndex(of: "_") else { return nil }
        let digits = fileName[..<underscore]
        let name = fileName[fileName.index(after: underscore)..<fileName.index(fileName.endIndex, offsetBy: -4)]
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), !name.isEmpty,
              let version = Int(digits) else { return nil }
        return (version, String(name))
    }

    // MARK: - Inspecting

    /// Each migration's state, by version; works before `schema_migrations` exists (everything pending).
    public func status(on connection: PostgresConnection) throws -> [MigrationStatus] {
        let applied = try appliedRecords(on: connection)
        var byVersion: [Int: MigrationStatus] = [:]
        for m in migrations {
            let state: MigrationState
            if let record = applied[m.version] {
                state = record.checksum == m.checksum
                    ? .applied(appliedAt: record.appliedAt, durationMs: record.durationMs) : .changed
            } else {
                state = .pending
            }
            byVersion[m.version] = MigrationStatus(version: m.version, name: m.name, fileName: m.fileName, state: state)
        }
        for (version, record) in applied where byVersion[version] == nil {
            byVersion[version] = MigrationStatus(version: version, name: record.name, fileName: nil, state: .missingFile)
        }
        return byVersion.values.sorted { $0.version < $1.version }
    }

    /// Throws the first applied migration whose file changed (`.checksumMismatch`) or is missing (`.missingFile`).
    public func verify(on connection: PostgresConnection) throws {
        for s in try status(on: connection) {
            switch s.state {
            case .changed: throw MigrationError.checksumMismatch(fileName: s.fileName ?? "", version: s.version)
            case .missingFile: throw MigrationError.missingFile(version: s.version, name: s.name)
            case .applied, .pending: continue
            }
        }
    }

    /// Migrations not applied yet, in order.
    public func pending(on connection: PostgresConnection) throws -> [Migration] {
        let applied = try appliedRecords(on: connection)
        return migrations.filter { applied[$0.version] == nil }
    }

    // MARK: - Applying

    /// Takes the advisory lock, verifies, applies each pending migration in its own transaction and records it.
    /// - Returns: the migrations this call applied (empty when another replica got there first).
    @discardableResult
    public func migrate(on connection: PostgresConnection, logger: Logger = Logger(label: "migrate")) throws -> [Migration] {
        // Session-level lock keyed by the target schema, so replicas on one schema serialise and tests on
        // different schemas do not. It is released by unlock below or when the session ends.
        try connection.query("SELECT pg_advisory_lock($1::int4, hashtext(coalesce(current_schema(), '')))", [Self.lockClass])
        defer {
            _ = try? connection.query("SELECT pg_advisory_unlock($1::int4, hashtext(coalesce(current_schema(), '')))",
                                      [Self.lockClass])
        }
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version bigint PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                duration_ms integer NOT NULL
            )
            """)
        try verify(on: connection)
        var applied: [Migration] = []
        for migration in try pending(on: connection) {
            logger.info("applying migration", metadata: ["file": "\(migration.fileName)"])
            let start = ContinuousClock.now
            do {
                try connection.transaction { tx in
                    try tx.execute(migration.sql)
                    let elapsed = ContinuousClock.now - start
                    let ms = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
                    try tx.query("""
                        INSERT INTO schema_migrations (version, name, checksum, applied_at, duration_ms)
                        VALUES ($1, $2, $3, now(), $4)
                        """, [migration.version, migration.name, migration.checksum, ms])
                }
            } catch let error as PostgresError {
                logger.error("migration failed", metadata: ["file": "\(migration.fileName)", "error": "\(error.logDescription)"])
                throw MigrationError.failed(fileName: migration.fileName, underlying: error)
            }
            applied.append(migration)
        }
        return applied
    }

    /// First key of the advisory lock: an arbitrary constant that marks "schema migrations".
    static let lockClass: Int32 = 0x6D69_6772 // "migr"

    private struct Record {
        var name: String
        var checksum: String
        var appliedAt: Date
        var durationMs: Int
    }

    private func appliedRecords(on connection: PostgresConnection) throws -> [Int: Record] {
        let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL", [])
        guard try exists.first?.decode(0, as: Bool.self) == true else { return [:] }
        var records: [Int: Record] = [:]
        for row in try connection.query("SELECT version, name, checksum, applied_at, duration_ms FROM schema_migrations", []) {
            records[try row.decode(0, as: Int.self)] = Record(name: try row.decode(1), checksum: try row.decode(2),
                                                             appliedAt: try row.decode(3), durationMs: try row.decode(4))
        }
        return records
    }
}
