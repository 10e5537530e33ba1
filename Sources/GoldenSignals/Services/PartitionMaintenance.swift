import Foundation
import Logging
import Market
import Postgres

/// The time partitions of `bars` (migration 0012): a yearly branch for daily and weekly bars, a monthly
/// branch for intraday ones, each with a default partition. The SQL functions of the migration do the work;
/// this is the application's way to them.
public enum BarPartitions {
    /// How far ahead the maintenance job keeps partitions: a year of daily ones, three months of intraday ones.
    static let aheadDaily = "1 year", aheadIntraday = "3 months"

    /// Partitions are made only for periods inside this window (daily bars from 1900 to two years ahead,
    /// intraday ones from 1990 to four months ahead); older or further bars stay in the default partition.
    /// An upload spanning centuries (by mistake or on purpose) must not create thousands of tables.
    static func window(daily: Bool, now: Int64 = Int64(Date().timeIntervalSince1970)) -> ClosedRange<Int64> {
        daily ? CivilDate(year: 1900, month: 1, day: 1).unixSeconds...(now + 2 * 366 * 86_400)
              : CivilDate(year: 1990, month: 1, day: 1).unixSeconds...(now + 120 * 86_400)
    }

    /// The start (Unix seconds) of the partition period holding `t`: its UTC decade (daily) or month (intraday),
    /// as `bars_period_start` in the migration.
    static func periodStart(_ t: Int64, daily: Bool) -> Int64 {
        let d = CivilDate(unixSeconds: t)
        return daily ? CivilDate(year: d.year - d.year % 10, month: 1, day: 1).unixSeconds
                     : CivilDate(year: d.year, month: d.month, day: 1).unixSeconds
    }

    /// Creates the partitions that `bars` of `timeframe` fall in (only periods that hold a bar, inside
    /// `window`), moving rows of those periods out of the default partition. Cheap when they exist (one
    /// catalog query for the batch).
    /// - Returns: how many partitions were created.
    @discardableResult
    public static func ensure(timeframe: Timeframe, bars: [Bar], on conn: PostgresConnection) throws -> Int {
        let daily = !timeframe.isIntraday
        let window = window(daily: daily)
        var periods = Set<Int64>()
        for b in bars where window.contains(b.timestamp) { periods.insert(periodStart(b.timestamp, daily: daily)) }
        guard !periods.isEmpty else { return 0 }
        let branch = daily ? "daily" : "intraday"
        let missing = try conn.query("""
            SELECT p FROM unnest($2::int8[]) p WHERE to_regclass(bars_partition_name($1, to_timestamp(p))) IS NULL ORDER BY p
            """, [branch, periods.sorted()])
        for row in missing {
            _ = try conn.query("SELECT bars_ensure_partition($1, to_timestamp($2))", [branch, try row.decode(0, as: Int64.self)])
        }
        return missing.count
    }

    /// What one maintenance round did.
    public struct Round: Sendable, Equatable {
        /// Partitions created ahead of time.
        public var createdAhead = 0
        /// Partitions created for rows found in a default partition (those rows were moved into them).
        public var drained = 0
        /// Rows moved out of the default partitions.
        public var movedRows = 0
    }

    /// One round: partitions for the periods ahead, then a partition for every period inside `window` with
    /// rows in a default partition (moving them). Each partition is created in its own transaction.
    public static func maintain(on conn: PostgresConnection) throws -> Round {
        var round = Round()
        for (tf, ahead) in [("1d", aheadDaily), ("1m", aheadIntraday)] {
            round.createdAhead += try conn.query("SELECT bars_ensure_partitions($1, now(), now() + $2::interval)",
                                                 [tf, ahead]).first?.decode(0, as: Int.self) ?? 0
        }
        for branch in ["daily", "intraday"] {
            let periods = try conn.query("""
                SELECT bars_period_start($1, ts) AS lo, count(*) FROM bars_\(branch)_default GROUP BY 1 ORDER BY 1
                """, [branch])
            let window = window(daily: branch == "daily")
            for row in periods {
                let lo: Date = try row.decode(0), n: Int = try row.decode(1)
                guard window.contains(Int64(lo.timeIntervalSince1970)) else { continue }   // stays in the default
                try conn.transaction { tx in
                    _ = try tx.query("SELECT bars_ensure_partition($1, $2)", [branch, lo])
                }
                round.drained += 1
                round.movedRows += n
            }
        }
        return round
    }

    /// The partitions of `bars` by branch, oldest first, with their row estimates (for tests and operators).
    public static func list(on conn: PostgresConnection) throws -> [(name: String, branch: String)] {
        try conn.query("""
            SELECT c.relname, p.relname FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
            WHERE p.relname IN ('bars_daily', 'bars_intraday') ORDER BY 2, 1
            """).map { (try $0.decode(0), try $0.decode(1)) }
    }
}

/// Runs `BarPartitions.maintain` every `interval` seconds; a PostgreSQL advisory lock elects one replica
/// per round (the others skip it). Each round that runs is recorded in `job_runs`.
final class PartitionScheduler: @unchecked Sendable {
    /// The advisory lock key of the partition-maintenance job.
    static let lockKey: Int64 = 0x6753_5041_5254_4954   // "gSPARTIT"

    private let pool: PostgresPool
    private let logger: Logger
    private let interval: Double
    private let lock = NSLock()
    private var job: PeriodicTask?

    init(pool: PostgresPool, interval: Double, logger: Logger) {
        self.pool = pool
        self.logger = logger
        self.interval = interval
    }

    func start() {
        let job = PeriodicTask(name: "partition-maintenance", firstDelay: 2, interval: interval) { [weak self] in _ = self?.runOnce() }
        lock.withLock { self.job = job }
        job.start()
    }

    func stop() { lock.withLock { job }?.stop(waiting: false) }

    /// One round if this replica wins the lock; nil when another replica holds it.
    @discardableResult
    func runOnce() -> BarPartitions.Round? {
        do {
            return try pool.ifElected(Self.lockKey) { conn -> BarPartitions.Round in
                let runID: Int64 = try conn.query("INSERT INTO job_runs (job, instance) VALUES ('partitions', $1) RETURNING id",
                                                  [ProcessInfo.processInfo.hostName + ":\(getpid())"]).first!.decode(0)
                do {
                    let r = try BarPartitions.maintain(on: conn)
                    let detail = "{\"created_ahead\":\(r.createdAhead),\"drained\":\(r.drained),\"moved_rows\":\(r.movedRows)}"
                    try conn.query("UPDATE job_runs SET finished_at = now(), status = 'ok', detail = $2::jsonb WHERE id = $1",
                                   [runID, PostgresJSON(detail)])
                    if r != BarPartitions.Round() {
                        logger.info("bars partitions maintained", metadata: ["created_ahead": "\(r.createdAhead)",
                                                                              "drained": "\(r.drained)", "moved_rows": "\(r.movedRows)"])
                    }
                    return r
                } catch {
                    _ = try? conn.query("UPDATE job_runs SET finished_at = now(), status = 'failed', detail = jsonb_build_object('error', $2::text) WHERE id = $1",
                                        [runID, "\(error)"])
                    throw error
                }
            }
        } catch {
            logger.warning("partition maintenance could not run", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
