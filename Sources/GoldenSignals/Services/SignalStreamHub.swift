import Foundation
import HTTPServer
import Logging
import Postgres

/// Fans new published signals out to Server-Sent-Event clients. One dedicated connection LISTENs on
/// `SignalStore.channel`, so a signal stored by any replica reaches the clients of every replica.
/// Writes never block: a client whose connection falls too far behind is dropped by the server.
public final class SignalStreamHub: @unchecked Sendable {
    struct Subscriber {
        let writer: ResponseStreamWriter
        let symbol: String?
        let timeframe: String?
        var lastSeq: Int64

        func wants(_ e: Event) -> Bool { (symbol == nil || symbol == e.symbol) && (timeframe == nil || timeframe == e.timeframe) }
    }

    struct Event {
        let seq: Int64
        let symbol: String
        let timeframe: String
        let bytes: [UInt8]
    }

    private let store: SignalStore
    private let outcomes: OutcomeStore?
    /// The newest rescoring row already sent (`signal_confidence_history.seq`).
    private var lastRescored: Int64 = 0
    private let conninfo: String
    private let logger: Logger
    private let heartbeat: Double
    private let lock = NSLock()
    private var subscribers: [Int: Subscriber] = [:]
    private var nextID = 0
    private var lastSeen: Int64 = 0
    /// The last fan-out left committed signals behind a writer still running (see `SignalStore`'s
    /// "Stream order"): look again on the next turn even if no notification comes.
    private var heldBack = false
    /// Recently broadcast events, so that a client subscribing while a broadcast runs misses nothing.
    private var recent: [Event] = []
    private var stopped = false
    private var started = false
    /// Changes each time signals are stored anywhere (as heard on the channel); -1 while not listening,
    /// when nothing derived from signals may be cached.
    private var changeVersion: Int64 = -1

    /// - Parameter heartbeat: seconds between keep-alive comments.
    public init(store: SignalStore, outcomes: OutcomeStore? = nil, conninfo: String, logger: Logger, heartbeat: Double = 15) {
        self.store = store
        self.outcomes = outcomes
        self.conninfo = conninfo
        self.logger = logger
        self.heartbeat = heartbeat
    }

    /// A token that changes whenever signals were stored (by any replica); nil while the hub cannot hear
    /// of changes, so that nothing derived from signals is cached then.
    public var version: Int64? { lock.withLock { changeVersion < 0 ? nil : changeVersion } }

    /// Signals were just committed by this process: what was cached is out of date now, before the
    /// notification arrives.
    public func noteLocalChange() {
        lock.withLock { if changeVersion >= 0 { changeVersion += 1 } }
    }

    private func bumpVersion(listening: Bool) {
        lock.withLock { changeVersion = listening ? max(changeVersion, 0) + 1 : -1 }
    }

    /// Clients connected now.
    public var subscriberCount: Int { lock.withLock { subscribers.count } }

    /// Starts the listening thread (idempotent).
    public func start() {
        let go = lock.withLock { () -> Bool in
            if started { return false }
            started = true
            return true
        }
        guard go else { return }
        let t = Thread { [self] in run() }
        t.name = "signal-stream"
        t.start()
    }

    public func stop() {
        let writers = lock.withLock { () -> [ResponseStreamWriter] in
            stopped = true
            defer { subscribers.removeAll() }
            return subscribers.values.map(\.writer)
        }
        for w in writers { w.finish() }
    }

    /// Adds a client. With `lastEventID` the signals after it are replayed from the database first.
    public func subscribe(_ writer: ResponseStreamWriter, symbol: String?, timeframe: String?, lastEventID: Int64?) throws {
        var replay: [Event] = []
        if let lastEventID {
            replay = try store.publishedInOrder(after: lastEventID, limit: 10_000).rows.map {
                Event(seq: $0.seq, symbol: $0.symbol, timeframe: $0.timeframe, bytes: Self.format($0.seq, $0.json))
            }
        }
        lock.withLock {
            var sub = Subscriber(writer: writer, symbol: symbol, timeframe: timeframe, lastSeq: lastEventID ?? lastSeen)
            for e in replay + recent where e.seq > sub.lastSeq {
                if sub.wants(e) { _ = writer.write(e.bytes) }
                sub.lastSeq = e.seq
            }
            if !writer.isClosed {
                subscribers[nextID] = sub
                nextID += 1
            }
        }
    }

    static func format(_ seq: Int64, _ json: [UInt8]) -> [UInt8] {
        ServerSentEvent.format(data: String(decoding: json, as: UTF8.self), event: "signal", id: String(seq))
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func run() {
        var lastBeat = Date()
        var primed = false   // lastSeen holds the newest seq stored when the hub started
        while !isStopped {
            let conn: PostgresConnection
            do {
                conn = try PostgresConnection.connect(conninfo)
                try conn.listen(SignalStore.channel)
                if outcomes != nil { try conn.listen(OutcomeStore.rescoredChannel) }
                // What was stored while not listening is fetched now (none is lost across a reconnect).
                if primed {
                    try fanOut()
                    try fanOutRescored()
                } else {
                    let top = try store.visibleThrough()
                    let rescoredTop = try outcomes?.latestRescoreSeq() ?? 0
                    lock.withLock { lastSeen = top; lastRescored = rescoredTop }
                    primed = true
                }
            } catch {
                logger.warning("signal stream cannot listen; retrying", metadata: ["error": "\(error)"])
                Thread.sleep(forTimeInterval: 1)
                continue
            }
            defer { conn.close() }
            bumpVersion(listening: true)
            while !isStopped {
                do {
                    let notes = try conn.waitForNotifications(timeout: 0.5)
                    if !notes.isEmpty { bumpVersion(listening: true) }
                    if heldBack || notes.contains(where: { $0.channel == SignalStore.channel }) { try fanOut() }
                    if notes.contains(where: { $0.channel == OutcomeStore.rescoredChannel }) { try fanOutRescored() }
                } catch {
                    logger.warning("signal stream lost its connection; reconnecting", metadata: ["error": "\(error)"])
                    bumpVersion(listening: false)
                    break
                }
                if Date().timeIntervalSince(lastBeat) >= heartbeat {
                    lastBeat = Date()
                    broadcast(ServerSentEvent.comment("heartbeat"))
                }
            }
        }
    }

    /// Reads the published signals after the last one seen, in stream order, and writes them to every
    /// client that wants them.
    private func fanOut() throws {
        let after = lock.withLock { lastSeen }
        let (rows, held) = try store.publishedInOrder(after: after)
        heldBack = held
        guard !rows.isEmpty else { return }
        let events = rows.map { Event(seq: $0.seq, symbol: $0.symbol, timeframe: $0.timeframe, bytes: Self.format($0.seq, $0.json)) }
        lock.withLock {
            for e in events {
                for (id, sub) in subscribers where e.seq > sub.lastSeq {
                    if sub.wants(e), !sub.writer.write(e.bytes) { subscribers[id] = nil; continue }
                    subscribers[id]?.lastSeq = e.seq
                }
            }
            lastSeen = events.last!.seq
            recent.append(contentsOf: events)
            if recent.count > 1_000 { recent.removeFirst(recent.count - 1_000) }
        }
        if rows.count == 1_000 { try fanOut() }
    }

    /// Sends rescoring rows after the last one sent as `signal.rescored` events (no event id: resuming
    /// with Last-Event-ID replays signals, and a rescored signal's current confidence is in its detail).
    private func fanOutRescored() throws {
        guard let outcomes else { return }
        let after = lock.withLock { lastRescored }
        let rows = try outcomes.rescored(after: after)
        guard let top = rows.last?.seq else { return }
        lock.withLock {
            for r in rows {
                let bytes = ServerSentEvent.format(data: String(decoding: r.json, as: UTF8.self), event: "signal.rescored")
                for (id, sub) in subscribers where (sub.symbol == nil || sub.symbol == r.symbol) && (sub.timeframe == nil || sub.timeframe == r.timeframe) {
                    if !sub.writer.write(bytes) { subscribers[id] = nil }
                }
            }
            lastRescored = top
        }
        if rows.count == 1_000 { try fanOutRescored() }
    }

    private func broadcast(_ bytes: [UInt8]) {
        lock.withLock {
            for (id, sub) in subscribers where !sub.writer.write(bytes) { subscribers[id] = nil }
        }
    }
}
