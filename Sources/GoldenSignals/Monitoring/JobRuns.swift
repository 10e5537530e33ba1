import Foundation
import Logging
import Postgres

/// Writes finished rounds of background jobs to `job_runs`, which the dashboard reads for last run and lag.
enum JobRuns {
    /// Records a round that started at `started` (Unix seconds) and finished now, with a JSON `detail`.
    static func record(_ pool: PostgresPool, job: String, started: Int64, status: String = "ok", detail: String, logger: Logger) {
        do {
            try pool.withConnection { conn in
                _ = try conn.query("""
                    INSERT INTO job_runs (job, instance, started_at, finished_at, status, detail)
                    VALUES ($1, $2, to_timestamp($3), now(), $4, $5::jsonb)
                    """, [job, ProcessInfo.processInfo.hostName + ":\(getpid())", started, status, PostgresJSON(detail)])
            }
        } catch {
            logger.warning("could not record a job run", metadata: ["job": "\(job)", "error": "\(error)"])
        }
    }
}
