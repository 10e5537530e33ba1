import Foundation
import Postgres
import Testing

/// A temporary migrations directory with its own SQL files, removed at the end.
private struct MigrationDir {
    let path: String

    init(_ files: [String: String]) throws {
        path = NSTemporaryDirectory() + TestDB.unique("migrations")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, sql) in files { try write(name, sql) }
    }

    func write(_ name: String, _ sql: String) throws {
        try sql.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
    }

    func remove(_ name: String) throws {
        try FileManager.default.removeItem(atPath: path + "/" + name)
    }

    func cleanUp() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

private let baseFiles = [
    "0001_create_widgets.sql": "CREATE TABLE widgets (id int8 PRIMARY KEY, name text NOT NULL);",
    "0002_add_price.sql": "ALTER TABLE widgets ADD COLUMN price float8;\nINSERT INTO widgets VALUES (1, 'one', 1.5);",
    "README.md": "not a migration",
]

@Suite struct MigratorTests {
    @Test func loadsFilesInVersionOrderWithChecksums() throws {
        let dir = try MigrationDir(baseFiles.merging(["0010_later.sql": "SELECT 1;"]) { a, _ in a })
        defer { dir.cleanUp() }
        let migrator = try Migrator(directory: dir.path)
        #expect(migrator.migrations.map(\.version) == [1, 2, 10])
        #expect(migrator.migrations.map(\.name) == ["create_widgets", "add_price", "later"])
        #expect(migrator.migrations[2].fileName == "0010_later.sql")
        #expect(migrator.migrations[2].checksum == Migrator.sha256Hex(Array("SELECT 1;".utf8)))
        #expect(Migrator.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let inMemory = Migration(version: 7, name: "seed", sql: "SELECT 1;")
        #expect(inMemory.fileName == "0007_seed.sql")
        #expect(inMemory.checksum == migrator.migrations[2].checksum)
        #expect(Migrator.sha256Hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func rejectsBadNamesAndDuplicateVersions() throws {
        let bad = try MigrationDir(["01-create.sql": "SELECT 1;"])
        defer { bad.cleanUp() }
        #expect { try Migrator(directory: bad.path) } throws: { error in
            guard case MigrationError.badFileName(let name) = error else { return false }
            return name == "01-create.sql"
        }
        let duplicate = try MigrationDir(["0001_a.sql": "SELECT 1;", "1_b.sql": "SELECT 2;"])
        defer { duplicate.cleanUp() }
        #expect { try Migrator(directory: duplicate.path) } throws: { error in
            guard case MigrationError.duplicateVersion(1) = error else { return false }
            return true
        }
    }

    @Test func migrateIsIdempotentAndRecordsEachMigration() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        let dir = try MigrationDir(baseFiles)
        defer { dir.cleanUp() }
        try TestDB.withSchema(c) { _ in
            let migrator = try Migrator(directory: dir.path)
            // status works before schema_migrations exists.
            #expect(try migrator.status(on: c).map(\.state) == [.pending, .pending])
            #expect(try migrator.pending(on: c).map(\.version) == [1, 2])
            #expect(try migrator.migrate(on: c).map(\.version) == [1, 2])
            #expect(try migrator.migrate(on: c).isEmpty)
            #expect(try Migrator(directory: dir.path).migrate(on: c).isEmpty)
            #expect(try migrator.pending(on: c).isEmpty)
            try migrator.verify(on: c)
            let rows = try c.query("SELECT version, name, checksum, duration_ms, applied_at FROM schema_migrations ORDER BY version")
            #expect(try rows.map { try $0.decode(0, as: Int.self) } == [1, 2])
            #expect(try rows.map { try $0.decode(1, as: String.self) } == ["create_widgets", "add_price"])
            #expect(try rows.map { try $0.decode(2, as: String.self) } == migrator.migrations.map(\.checksum))
            #expect(try rows.allSatisfy { try $0.decode(3, as: Int.self) >= 0 })
            #expect(try rows.allSatisfy { abs(try $0.decode(4, as: Date.self).timeIntervalSinceNow) < 60 })
            #expect(try c.query("SELECT count(*) FROM widgets").first?.decode(0, as: Int.self) == 1)
            let states = try migrator.status(on: c).map(\.state)
            #expect(states.allSatisfy { if case .applied = $0 { true } else { false } })
            // A new file later is applied alone.
            try dir.write("0003_more.sql", "INSERT INTO widgets VALUES (2, 'two', 2.5);")
            #expect(try Migrator(directory: dir.path).migrate(on: c).map(\.fileName) == ["0003_more.sql"])
        }
    }

    @Test func changedFileIsRefusedByName() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        let dir = try MigrationDir(baseFiles)
        defer { dir.cleanUp() }
        try TestDB.withSchema(c) { _ in
            try Migrator(directory: dir.path).migrate(on: c)
            try dir.write("0002_add_price.sql", baseFiles["0002_add_price.sql"]! + "\n-- edited")
            try dir.write("0003_new.sql", "CREATE TABLE should_not_exist (x int);")
            let migrator = try Migrator(directory: dir.path)
            #expect(try migrator.status(on: c).map(\.state)[1] == .changed)
            #expect { try migrator.migrate(on: c) } throws: { error in
                guard case MigrationError.checksumMismatch(let file, let version) = error else { return false }
                return file == "0002_add_price.sql" && version == 2 && "\(error)".contains("0002_add_price.sql")
            }
            #expect(try c.query("SELECT to_regclass('should_not_exist') IS NULL").first?.decode(0, as: Bool.self) == true)
        }
    }

    @Test func missingFileIsRefused() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        let dir = try MigrationDir(baseFiles)
        defer { dir.cleanUp() }
        try TestDB.withSchema(c) { _ in
            try Migrator(directory: dir.path).migrate(on: c)
            try dir.remove("0001_create_widgets.sql")
            let migrator = try Migrator(directory: dir.path)
            let status = try migrator.status(on: c)
            #expect(status.first?.state == .missingFile)
            #expect(status.first?.fileName == nil)
            #expect(status.first?.name == "create_widgets")
            #expect { try migrator.migrate(on: c) } throws: { error in
                guard case MigrationError.missingFile(let version, let name) = error else { return false }
                return version == 1 && name == "create_widgets"
            }
            #expect(throws: MigrationError.self) { try migrator.verify(on: c) }
        }
    }

    @Test func failingMigrationRollsBackAndNamesTheFile() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        let dir = try MigrationDir([
            "0001_ok.sql": "CREATE TABLE ok (x int);",
            "0002_broken.sql": "CREATE TABLE half (x int);\nINSERT INTO nope VALUES (1);",
            "0003_after.sql": "CREATE TABLE after (x int);",
        ])
        defer { dir.cleanUp() }
        try TestDB.withSchema(c) { _ in
            let migrator = try Migrator(directory: dir.path)
            #expect { try migrator.migrate(on: c) } throws: { error in
                guard case MigrationError.failed(let file, let underlying) = error else { return false }
                return file == "0002_broken.sql" && underlying.sqlState == "42P01"
            }
            let exists = try c.query("""
                SELECT to_regclass('ok') IS NOT NULL, to_regclass('half') IS NULL, to_regclass('after') IS NULL
                """).first!
            #expect(try (0..<3).allSatisfy { try exists.decode($0, as: Bool.self) })
            #expect(try migrator.pending(on: c).map(\.version) == [2, 3])
            // The advisory lock was released: another session can take it immediately.
            let other = try TestDB.connect()
            defer { other.close() }
            try other.execute("SET search_path TO \(try c.query("SELECT current_schema()").first!.decode(0, as: String.self))")
            #expect(try Migrator(migrations: [migrator.migrations[0]]).migrate(on: other).isEmpty)
        }
    }

    @Test func racingMigratorsApplyEachMigrationOnce() throws {
        let setup = try TestDB.connect()
        defer { setup.close() }
        let schema = TestDB.unique("race")
        try setup.execute("CREATE SCHEMA \(schema)")
        defer { try? setup.execute("DROP SCHEMA \(schema) CASCADE") }
        // Each migration sleeps so that the replicas really overlap; the log table would get two rows per
        // migration if both applied it.
        var files: [String: String] = ["0001_log.sql": "CREATE TABLE applied_log (version int); INSERT INTO applied_log VALUES (1); SELECT pg_sleep(0.2);"]
        for v in 2...4 {
            files[String(format: "%04d_step.sql", v)] = "INSERT INTO applied_log VALUES (\(v)); SELECT pg_sleep(0.1);"
        }
        let dir = try MigrationDir(files)
        defer { dir.cleanUp() }
        let migrator = try Migrator(directory: dir.path)
        let appliedCounts = Locked<[Int]>([])
        let errors = Locked<[String]>([])
        TestDB.onThreads(3) { _ in
            do {
                let c = try TestDB.connect()
                defer { c.close() }
                try c.execute("SET search_path TO \(schema)")
                let applied = try migrator.migrate(on: c)
                appliedCounts.withLock { $0.append(applied.count) }
            } catch {
                errors.withLock { $0.append("\(error)") }
            }
        }
        #expect(errors.current.isEmpty)
        #expect(appliedCounts.current.sorted() == [0, 0, 4])
        try setup.execute("SET search_path TO \(schema)")
        let log = try setup.query("SELECT version FROM applied_log ORDER BY version").map { try $0.decode(0, as: Int.self) }
        #expect(log == [1, 2, 3, 4])
        #expect(try setup.query("SELECT count(*) FROM schema_migrations").first?.decode(0, as: Int.self) == 4)
    }
}
