import Foundation
import GoldenSignals
import HTTPClient
import Logging
import Testing

/// `serve` without DATABASE_URL: a private cluster under the data directory, stopped with the service.
@Suite struct EmbeddedDatabaseTests {
    /// Processes whose command line mentions `path`.
    static func processes(mentioning path: String) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let cmdline = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return cmdline.contains(path) ? pid : nil
        }
    }

    @Test func startsServesAndStopsLeavingNoProcess() throws {
        let dir = "/tmp/gs-embedded-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = AppConfiguration()
        config.useRepository(database: nil)
        config.dataDirectory = dir
        config.ingestInterval = 0
        let app = try Application(configuration: config, logger: .quiet("embedded"))
        #expect(!Self.processes(mentioning: dir + "/postgres/data").isEmpty)
        let port = try app.start(host: "127.0.0.1", port: 0)
        let health = try HTTPClient().send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"))
        let db = (health.json["checks"] as? [String: Any])?["database"] as? [String: Any]
        #expect(db?["mode"] as? String == "embedded")
        #expect(db?["status"] as? String == "up")
        app.close()
        #expect(Self.processes(mentioning: dir + "/postgres/data").isEmpty)

        // A second start reuses the cluster (and its migrated database).
        let again = try Application(configuration: config, logger: .quiet("embedded"))
        #expect(try again.migrationCounts().pending == 0)
        again.close()
        #expect(Self.processes(mentioning: dir + "/postgres/data").isEmpty)
    }
}
