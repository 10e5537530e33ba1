public import Foundation
import COpenSSL

/// One SQL migration file, `NNNN_description.sql`.
public struct Migration: Sendable, Hashable {
    /// The number before the first underscore.
    public var version: Int
    /// The description after the first underscore, without `.sql`.
    public var name: String
    /// The file name, e.g. `0001_create_bars.sql`.
    public var fileName: String
    /// The file's SQL, run with the simple protocol inside one transaction.
    public var sql: String
    /// Lower-case hex SHA-256 of the file's bytes.
    public var checksum: String

    /// A migration from its parts; the checksum is computed from `sql` when not given.
    public init(version: Int, name: String, fileName: String? = nil, sql: String, checksum: String? = nil) {
        self.version = version
        self.name = name
        let digits = String(version)
        self.fileName = fileName ?? String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "_" + name + ".sql"
        self.sql = sql
        self.checksum = checksum ?? Migrator.sha256Hex(Array(sql.utf8))
    }
}

/// Where a migration stands relative to the database.
public enum MigrationState: Sendable, Hashable {
    /// Applied with the same checksum as the file.
    case applied(appliedAt: Date, durationMs: Int)
    /// In the directory, not applied yet.
    case pending
    /// Applied, but the file's checksum differs from the recorded one.
    case changed
    /// Recorded as applied, but no file with that version exists.
    case missingFile
}

/// One line of `Migrator.status`.
public struct MigrationStatus: Sendable {
    /// The migration version.
    public var version: Int
    /// The migration name (from the file, or as recorded when the file is missing).
    public var name: String
    /// The file name, or nil when the file is missing.
    public var fileName: String?
    /// Where it stands.
    public var state: MigrationState
}

/// Why migrations could not be loaded, verified or applied.
public enum MigrationError: Error, CustomStringConvertible, Sendable {
    /// A `.sql` file whose name is not `NNNN_description.sql` (or the directory could not be read).
    case badFileName(String)
    /// Two files share a version number.
    case duplicateVersion(Int)
    /// An applied migration's file has changed since it was applied.
    case checksumMismatch(fileName: String, version: Int)
    /// An applied migration's file no longer exists.
    case missingFile(version: Int, name: String)
    /// Applying a migration failed; it was rolled back.
    case failed(fileName: String, underlying: PostgresError)

    /// A message naming the file and what to do.
    public var description: String {
        switch self {
        case .badFileName(let name):
            return "migration file name '\(name)' is not NNNN_description.sql"
        case .duplicateVersion(let version):
            return "two migration files have version \(version)"
        case .checksumMismatch(let fileName, let version):
            return "migration \(fileName) (version \(version)) was changed after it was applied; restore the file and add a new migration instead"
        case .missingFile(let version, let name):
            return "migration version \(version) (\(name)) is applied but its file is missing"
        case .failed(let fileName, let underlying):
            return "migration \(fileName) failed and was rolled back: \(underlying.logDescription)"
        }
    }
}

extension Migrator {
    /// Lower-case hex SHA-256 of `bytes`, via libcrypto's EVP interface.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { raw in
            EVP_Digest(raw.baseAddress, raw.count, &digest, &length, EVP_sha256(), nil)
        }
        precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed")
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in digest.prefix(Int(length)) {
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
