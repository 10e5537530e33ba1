import Foundation
@testable import GoldenSignals
import HTTPServer
import Logging
import Market
import Postgres
import Signals
import Testing

/// Migration 0018 (a signal's layers and bar kept as values, not as the API's JSON) on a populated database.
@Suite(.serialized) struct SignalStorageMigrationTests {
    static let files: [(file: String, symbol: NewSymbol)] = [
        ("bluefin_MSFT.csv", NewSymbol(symbol: "MSFT", assetClass: .equity)),
        ("bestdaybtc_BTC-USD.csv", NewSymbol(symbol: "BTC-USD", assetClass: .crypto)),
    ]

    /// Signals written in the layout of 0006–0017 (layers and bar as JSON text), then migrated, read through the
    /// API exactly as the same signals written by today's generation: every field of every signal, filtered
    /// candidates included (only `created_at`, the time of writing, differs).
    @Test func signalsStoredBeforeTheMigrationSayTheSameAfterIt() throws {
        // Database B: the schema before 0018, real bars, the engine's signals in the old layout.
        let oldURL = try TestDatabase.fresh("sigmig")
        defer { TestDatabase.drop(oldURL) }
        do {
            let (app, conn) = try applicationBefore(migration: 18, oldURL)
            defer { app.close(); conn.close() }
            var written = 0
            for f in Self.files {
                let bars = try OHLCVCSVReader.parse([UInt8](try #require(FileManager.default.contents(atPath: Paths.data(f.file)))),
                                                    options: CSVImportOptions(timeframe: .d1, localTimeZone: .utc)).bars
                let (symbol, _) = try app.symbols.ensure(f.symbol)
                _ = try app.bars.upsert(symbolID: symbol.id, timeframe: .d1, bars: bars, source: "file")
                let made = app.signalService.scan(try app.bars.all(symbolID: symbol.id, timeframe: .d1), through: nil, calibrated: nil,
                                                  symbol: symbol, timeframe: .d1).made
                written += try Self.writeOldLayout(made, symbolID: symbol.id, on: conn)
            }
            #expect(written > 3_000)
            #expect(try conn.query("SELECT count(*) FROM signals WHERE layers LIKE '[{\"layer\":\"data_quality\",%'").first?
                .decode(0, as: Int.self) == written)
            // 0018 (and what follows it) runs on the populated database.
            #expect(try app.migrator.migrate(on: conn).map(\.version).first == 18)
            let columns = Set(try conn.query("SELECT attname FROM pg_attribute WHERE attrelid = 'signals'::regclass AND attnum > 0 AND NOT attisdropped")
                .map { try $0.decode(0, as: String.self) })
            #expect(!columns.contains("layers") && !columns.contains("bar") && columns.isSuperset(of: ["layer_details", "layer_effects", "bar_close"]))
        }
        let migrated = try TestService(label: "sigmig", databaseURL: oldURL)

        // Database A: today's schema, the same files, generation as the service runs it.
        let current = try TestService(label: "sigmig_new") { $0.generateOnArrival = false }
        for f in Self.files {
            _ = try current.app.imports.importFile(path: Paths.data(f.file), symbol: f.symbol, timeframe: .d1, timeZone: .utc)
        }
        _ = try current.app.signalService.generate()

        let old = try Self.everySignal(migrated), new = try Self.everySignal(current)
        #expect(old.count > 3_000 && old.count == new.count)
        #expect(Set(old.keys) == Set(new.keys))
        var differing = 0
        for (id, text) in new where old[id] != text {
            differing += 1
            if differing <= 3 { Issue.record("signal \(id) differs:\n  migrated: \(old[id] ?? "missing")\n  written:  \(text)") }
        }
        #expect(differing == 0)
    }

    /// A row keeps the layers' sentences one per line; a line break inside one would move every layer after it, so
    /// it is kept as a space.
    @Test func layerSentencesAreOnePerLine() {
        var out: [UInt8] = Array("x".utf8)
        SignalStore.appendDetails([LayerResult(.dataQuality, true, "a\nb\n"), LayerResult(.liquidity, false, "c"),
                                   LayerResult(.marketHours, true, "")], to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "xa b \nc\n")
    }

    /// Every signal (all statuses) by id, as canonical JSON without `created_at`.
    static func everySignal(_ s: TestService) throws -> [String: String] {
        var out: [String: String] = [:]
        for var sig in try SignalAPITests.allSignals(s, "status=all") {
            sig["created_at"] = nil
            let text = String(decoding: try JSONSerialization.data(withJSONObject: sig, options: [.sortedKeys]), as: UTF8.self)
            out[sig["id"] as? String ?? ""] = text
        }
        return out
    }

    /// Writes signals as generation wrote them before 0018: the layers and the bar as the API's JSON.
    static func writeOldLayout(_ signals: [GeneratedSignal], symbolID: Int64, on conn: PostgresConnection) throws -> Int {
        var identity = SignalStore.Identity(symbolID: symbolID, timeframe: .d1)
        var json = JSONWriter(capacity: 2048)
        return try conn.copyInBinary("""
            COPY signals (symbol_id, timeframe, ts, strategy, params, id, direction, published, rejected_by, strength, entry_price,
                          stop_loss, take_profit, reward_risk, risk_level, horizon_bars, expires_at, confidence_raw, quality, confidence,
                          calibration_version, consensus_strength, position_size, reason, indicators, layers, layers_passed, bar, is_demo)
            FROM STDIN (FORMAT binary)
            """) { writer in
            for s in signals {
                var passed: Int32 = 0
                for (k, l) in s.layers.enumerated() where l.passed { passed |= 1 << k }
                try writer.appendBinaryRow(fieldCount: 29) { r in
                    SignalStore.writeSharedFields(s, symbolID: symbolID, timeframe: .d1, identity: &identity, json: &json, to: &r)
                    json.reset()
                    json.beginArray()
                    for l in s.layers {
                        json.beginObject()
                        json.key("layer"); json.string(l.layer.rawValue)
                        json.key("passed"); json.bool(l.passed)
                        json.key("effect"); if let e = l.effect { json.number(e) } else { json.null() }
                        json.key("detail"); json.string(l.detail)
                        json.endObject()
                    }
                    json.endArray()
                    r.text(bytes: json.bytes)
                    r.int4(passed)
                    json.reset()
                    json.beginObject()
                    json.key("timestamp"); json.string(RFC3339.format(s.bar.timestamp))
                    json.key("open"); json.number(s.bar.open); json.key("high"); json.number(s.bar.high)
                    json.key("low"); json.number(s.bar.low); json.key("close"); json.number(s.bar.close)
                    json.key("volume"); json.number(s.bar.volume)
                    json.endObject()
                    r.text(bytes: json.bytes)
                    r.bool(false)
                }
            }
        }
    }
}
