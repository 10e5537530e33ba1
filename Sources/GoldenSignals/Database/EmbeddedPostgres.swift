import Foundation
import Glibc
import Logging

/// A private PostgreSQL cluster under the data directory, used when `DATABASE_URL` is unset.
///
/// It listens only on a Unix socket inside its own folder (no TCP port), trusts its owner, and is
/// stopped by `stop()`. Run as root, the server runs as the unprivileged `postgres` system user,
/// because PostgreSQL refuses to run as root.
public final class EmbeddedPostgres: @unchecked Sendable {
    /// The cluster's folder (data in `data/`, socket and log beside it).
    public let directory: String
    /// Connection string for the service's database.
    public var conninfo: String { "host=\(directory) port=\(Self.port) user=\(Self.role) dbname=\(Self.database) connect_timeout=2" }
    /// Connection string for the maintenance database (used to create ours).
    var maintenanceConninfo: String { "host=\(directory) port=\(Self.port) user=\(Self.role) dbname=postgres connect_timeout=2" }

    static let port = 5432
    static let role = "goldensignals"
    static let database = "goldensignals"

    private let binDirectory: String
    private let runAs: String?
    private let logger: Logger
    private var startedByUs = false

    /// Finds the PostgreSQL server binaries and prepares (but does not start) the cluster.
    /// - Throws: `EmbeddedPostgresError.notInstalled` naming the package to install.
    public init(dataDirectory: String, logger: Logger) throws {
        let base = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        self.directory = base + "/postgres"
        self.logger = logger
        guard let bin = Self.findBinDirectory() else { throw EmbeddedPostgresError.notInstalled }
        self.binDirectory = bin
        self.runAs = geteuid() == 0 ? "postgres" : nil
        if runAs != nil, getpwnam("postgres") == nil {
            throw EmbeddedPostgresError.failed("running as root needs the 'postgres' system user, which the Debian package 'postgresql' creates")
        }
        if directory.utf8.count > 90 {
            throw EmbeddedPostgresError.failed("GS_DATA_DIR path is too long for a Unix socket path (\(directory)); choose a shorter one")
        }
    }

    /// The newest installed PostgreSQL server's bin directory, if any.
    static func findBinDirectory() -> String? {
        let fm = FileManager.default
        let root = "/usr/lib/postgresql"
        if let versions = try? fm.contentsOfDirectory(atPath: root) {
            let sorted = versions.compactMap { v -> (Int, String)? in Int(v).map { ($0, v) } }.sorted { $0.0 > $1.0 }
            for (_, v) in sorted where fm.isExecutableFile(atPath: "\(root)/\(v)/bin/pg_ctl") {
                return "\(root)/\(v)/bin"
            }
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let d = String(dir)
            if fm.isExecutableFile(atPath: d + "/pg_ctl"), fm.isExecutableFile(atPath: d + "/initdb") { return d }
        }
        return nil
    }

    /// Creates the cluster when it does not exist, starts it, and creates the service's database.
    public func start() throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let user = runAs {
            try giveOwnership(directory, to: user)
            try ensureTraversable(directory, by: user)
        }
        chmod(directory, 0o700)
        let dataDir = directory + "/data"
        if !fm.fileExists(atPath: dataDir + "/PG_VERSION") {
            logger.info("creating embedded PostgreSQL cluster", metadata: ["path": "\(dataDir)"])
            try run("initdb", ["-D", dataDir, "-U", Self.role, "-A", "trust", "-E", "UTF8", "--no-instructions"],
                    what: "initdb")
        }
        if (try? run("pg_ctl", ["-D", dataDir, "status"], what: "pg_ctl status")) != nil {
            logger.notice("embedded PostgreSQL is already running; using it and leaving it running", metadata: ["path": "\(dataDir)"])
            startedByUs = false
        } else {
            let options = "-c listen_addresses='' -k \(directory) -p \(Self.port) -c max_connections=100"
            try run("pg_ctl", ["-D", dataDir, "-l", directory + "/server.log", "-w", "-t", "60", "-o", options, "start"],
                    what: "pg_ctl start (see \(directory)/server.log)")
            startedByUs = true
            logger.info("embedded PostgreSQL started", metadata: ["socket": "\(directory)"])
        }
    }

    /// Stops the server if this process started it. Safe to call more than once.
    public func stop() {
        guard startedByUs else { return }
        startedByUs = false
        do {
            try run("pg_ctl", ["-D", directory + "/data", "-m", "fast", "-w", "-t", "30", "stop"], what: "pg_ctl stop")
            logger.info("embedded PostgreSQL stopped")
        } catch {
            logger.error("could not stop embedded PostgreSQL", metadata: ["error": "\(error)"])
        }
    }

    /// Runs one of the server's tools, as the unprivileged user when we are root.
    @discardableResult
    private func run(_ tool: String, _ arguments: [String], what: String) throws -> String {
        let program = binDirectory + "/" + tool
        let argv = runAs.map { ["/usr/sbin/runuser", "-u", $0, "--", program] } ?? [program]
        let result = try Subprocess.run(argv + arguments)
        guard result.status == 0 else {
            throw EmbeddedPostgresError.failed("\(what) exited with \(result.status): \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result.output
    }

    /// Gives `path` itself (not its contents: initdb creates those as the owner) to `user`.
    private func giveOwnership(_ path: String, to user: String) throws {
        guard let pw = getpwnam(user) else { return }
        let uid = pw.pointee.pw_uid, gid = pw.pointee.pw_gid
        var st = stat()
        if stat(path, &st) == 0, st.st_uid == uid { return }   // already owned: initdb made the rest
        if chown(path, uid, gid) != 0 {
            throw EmbeddedPostgresError.failed("cannot give \(path) to the '\(user)' user: \(String(cString: strerror(errno)))")
        }
    }

    /// The server user must be able to reach its folder: every parent needs the search bit for others.
    private func ensureTraversable(_ path: String, by user: String) throws {
        var url = URL(fileURLWithPath: path).deletingLastPathComponent()
        while url.path != "/" {
            var st = stat()
            if stat(url.path, &st) == 0, st.st_mode & S_IXOTH == 0 {
                throw EmbeddedPostgresError.failed("the '\(user)' user cannot enter \(url.path) (no search permission for others); set GS_DATA_DIR to a folder it can reach, e.g. /var/lib/goldensignals")
            }
            url.deleteLastPathComponent()
        }
    }
}

/// Why the embedded database could not be used.
public enum EmbeddedPostgresError: Error, CustomStringConvertible {
    case notInstalled
    case failed(String)

    public var description: String {
        switch self {
        case .notInstalled:
            "PostgreSQL server binaries not found. Install the Debian package 'postgresql' (apt-get install postgresql), or set DATABASE_URL to an existing server."
        case .failed(let message):
            "embedded PostgreSQL: \(message)"
        }
    }
}
