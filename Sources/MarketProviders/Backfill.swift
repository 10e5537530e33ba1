import Market
import Foundation
import Primitives

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

/// Walks `[from, to]` in chunks through a `ProviderChain`, resuming after the stored checkpoint.
///
/// Only final bars are stored: a bar still forming by its market's calendar (`TradingCalendar.isBarFinal`, with
/// `settleSeconds` for the provider to publish the close) is dropped, so it is fetched again, complete, by a later
/// run. The checkpoint ("everything through this second is stored") moves only to the end of the newest final bar
/// stored: never past a forming bar, never over a window the provider answered with no data (a holiday stretch is
/// passed once a later chunk brings bars; "no data" at the end of the range may be a provider that has not published
/// yet, so the next run asks again). Any other error stops the run with the checkpoint where it was.
public struct Backfill: Sendable {
    private let chain: ProviderChain
    private let checkpoints: any CheckpointStore
    private let chunkSeconds: Int64?
    private let settleSeconds: Int64
    private let now: @Sendable () -> Double

    /// Seconds after a bar's end before it counts as final (the close auction, the provider's publication).
    public static let defaultSettleSeconds: Int64 = 900

    /// Makes a backfill; `chunkSeconds` defaults per timeframe (see `defaultChunkSeconds`); `now` is the clock that
    /// decides which bars are final.
    public init(chain: ProviderChain, checkpoints: any CheckpointStore, chunkSeconds: Int64? = nil,
                settleSeconds: Int64 = Backfill.defaultSettleSeconds, now: @escaping @Sendable () -> Double = { wallClock() }) {
        self.chain = chain
        self.checkpoints = checkpoints
        self.chunkSeconds = chunkSeconds
        self.settleSeconds = settleSeconds
        self.now = now
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

    /// Runs (or resumes) the backfill; `store` receives each chunk's final bars and the provider name before the
    /// checkpoint moves. `calendar` decides when a bar is final (default: the asset class's calendar on a US
    /// exchange). Returns the bars stored, the chunks fetched and the forming bars left out in this run.
    @discardableResult
    public func run(symbol: String, assetClass: AssetClass, timeframe: Timeframe, from: Int64, to: Int64,
                    calendar: (any TradingCalendar)? = nil,
                    store: ([Bar], String) throws -> Void) throws -> (bars: Int, chunks: Int, forming: Int) {
        let calendar = calendar ?? Calendars.calendar(for: assetClass, exchange: nil)
        let chunk = max(timeframe.seconds, chunkSeconds ?? Backfill.defaultChunkSeconds(timeframe))
        let stored = try checkpoints.checkpoint(symbol: symbol, timeframe: timeframe)
        var start = from
        if let done = stored, done >= from {
            if done == Int64.max { return (0, 0, 0) }
            start = done + 1
        }
        var checkpoint = stored
        var bars = 0, chunks = 0, forming = 0
        while start <= to {
            let (sum, overflow) = start.addingReportingOverflow(chunk - 1)
            let end = overflow ? to : min(to, sum)
            let request = ProviderBarsRequest(symbol: symbol, assetClass: assetClass, timeframe: timeframe, from: start, to: end)
            do {
                let result = try chain.fetch(request)
                // One clock reading per chunk: a bar is judged against the time the answer arrived.
                let t = Int64(saturating: now().rounded(.down))
                let final = result.bars.filter { calendar.isBarFinal(start: $0.timestamp, timeframe: timeframe, now: t, settle: settleSeconds) }
                forming += result.bars.count - final.count
                if let newest = final.last {
                    try store(final, result.provider)
                    bars += final.count
                    let (through, o) = newest.timestamp.addingReportingOverflow(timeframe.seconds - 1)
                    let candidate = o ? Int64.max : through
                    if candidate > (checkpoint ?? Int64.min) {
                        try checkpoints.saveCheckpoint(symbol: symbol, timeframe: timeframe, through: candidate)
                        checkpoint = candidate
                    }
                }
            } catch let e as ProviderError where e.kind == .noData {
                // Nothing in this window (a holiday stretch, before listing, or not published yet): the checkpoint
                // stays; a later chunk with bars moves it past the window.
            }
            chunks += 1
            if end == Int64.max { break }
            start = end + 1
        }
        return (bars, chunks, forming)
    }
}
