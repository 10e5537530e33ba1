import Market
import Foundation

/// Where a backfill records how far it got, per symbol and timeframe.
public protocol CheckpointStore: Sendable {
    /// The last second (Unix, inclusive) already backfilled, or nil if none.
    func checkpoint(symbol: String, timeframe: Timeframe) throws -> Int64?
    /// Records that everything through `through` (Unix seconds, inclusive) is stored.
    func saveCheckpoint(symbol: String, timeframe: Timeframe, through: Int64) throws
}

/// A process-local `CheckpointStore` (tests, one-off runs).
public final class InMemoryCheckpointStore: CheckpointStore, @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Int64] = [:]

    /// Makes an empty store.
    public init() {}

    /// The stored checkpoint, if any.
    public func checkpoint(symbol: String, timeframe: Timeframe) throws -> Int64? {
        lock.lock()
        defer { lock.unlock() }
        return values["\(symbol)|\(timeframe.rawValue)"]
    }

    /// Stores the checkpoint.
    public func saveCheckpoint(symbol: String, timeframe: Timeframe, through: Int64) throws {
        lock.lock()
        defer { lock.unlock() }
        values["\(symbol)|\(timeframe.rawValue)"] = through
    }
}

/// Walks `[from, to]` in chunks through a `ProviderChain`, resuming after the stored checkpoint and saving it after
/// each chunk has been stored. A chunk with no data (`.noData`) is stored as nothing and checkpointed; any other
/// error stops the run with the checkpoint at the last completed chunk.
public struct Backfill: Sendable {
    private let chain: ProviderChain
    private let checkpoints: any CheckpointStore
    private let chunkSeconds: Int64?

    /// Makes a backfill; `chunkSeconds` defaults per timeframe (see `defaultChunkSeconds`).
    public init(chain: ProviderChain, checkpoints: any CheckpointStore, chunkSeconds: Int64? = nil) {
        self.chain = chain
        self.checkpoints = checkpoints
        self.chunkSeconds = chunkSeconds
    }

    /// Default chunk: 5 days of 1m, 30 days of 5m, 60 days of 15m/30m, 180 days of 1h/4h, 1 year of 1d, 5 years of 1w.
    public static func defaultChunkSeconds(_ timeframe: Timeframe) -> Int64 {
        let day: Int64 = 86_400
        switch timeframe {
        case .m1: return 5 * day
        case .m5: return 30 * day
        case .m15, .m30: return 60 * day
        case .h1, .h4: return 180 * day
        case .d1: return 365 * day
        case .w1: return 5 * 365 * day
        }
    }

    /// Runs (or resumes) the backfill; `store` receives each chunk's bars and the provider name before the checkpoint
    /// moves. Returns the number of bars stored and chunks completed in this run.
    public func run(symbol: String, assetClass: AssetClass, timeframe: Timeframe, from: Int64, to: Int64,
                    store: ([Bar], String) throws -> Void) throws -> (bars: Int, chunks: Int) {
        let chunk = max(timeframe.seconds, chunkSeconds ?? Backfill.defaultChunkSeconds(timeframe))
        var start = from
        if let done = try checkpoints.checkpoint(symbol: symbol, timeframe: timeframe), done >= from {
            start = done + 1
        }
        var bars = 0
        var chunks = 0
        while start <= to {
            let (sum, overflow) = start.addingReportingOverflow(chunk - 1)
            let end = overflow ? to : min(to, sum)
            let request = ProviderBarsRequest(symbol: symbol, assetClass: assetClass, timeframe: timeframe, from: start, to: end)
            do {
                let result = try chain.fetch(request)
                try store(result.bars, result.provider)
                bars += result.bars.count
            } catch let e as ProviderError where e.kind == .noData {
                // Nothing traded in this window (holidays, before listing): move on.
            }
            try checkpoints.saveCheckpoint(symbol: symbol, timeframe: timeframe, through: end)
            chunks += 1
            if end == Int64.max { break }
            start = end + 1
        }
        return (bars, chunks)
    }
}
