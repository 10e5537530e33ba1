/// `splits=walk_forward:K[:E]`: the exported time span is cut into K + 1 blocks of equal duration at
/// fixed boundaries (shared by every symbol of the dataset). Fold k (1…K) tests on block k and trains
/// on every block before it. A row whose label window (bars t+1 … t+H, H the longest label horizon)
/// reaches the next block is `purged`; the E rows before each boundary are `embargoed` (default:
/// 1% of the series' rows, at least 1). Neither is used for training or testing.
///
/// Split values: `train` (block 0), `test_k` (block k: test rows of fold k, training rows of folds > k),
/// `purged`, `embargoed`. The training set of fold k is {train, test_1 … test_k−1}; no row in it has a
/// label window that overlaps test_k or later blocks.
public struct WalkForward: Sendable, Hashable {
    public var folds: Int
    public var embargo: Int?

    public init(folds: Int, embargo: Int? = nil) { self.folds = folds; self.embargo = embargo }

    /// Parses `walk_forward:K` or `walk_forward:K:E`.
    public static func parse(_ text: String) throws -> WalkForward {
        let p = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard p.count == 2 || p.count == 3, p[0] == "walk_forward", let k = Int(p[1]), (1...50).contains(k) else {
            throw DatasetSpecError(field: "splits", message: "walk_forward:K (K from 1 to 50) or walk_forward:K:E (E embargo bars, 0 to 10000)")
        }
        var e: Int?
        if p.count == 3 {
            guard let v = Int(p[2]), (0...10_000).contains(v) else {
                throw DatasetSpecError(field: "splits", message: "walk_forward:K:E needs E from 0 to 10000")
            }
            e = v
        }
        return WalkForward(folds: k, embargo: e)
    }

    public var spec: String { "walk_forward:\(folds)" + (embargo.map { ":\($0)" } ?? "") }

    /// The K boundaries (Unix seconds) cutting [first, last] into K + 1 blocks of equal duration.
    public func boundaries(first: Int64, last: Int64) -> [Int64] {
        let span = Double(last - first)
        return (1...folds).map { first + Int64((span * Double($0) / Double(folds + 1)).rounded(.up)) }
    }

    /// The embargo in rows for a series of `rows` rows.
    public func embargoRows(rows: Int) -> Int { embargo ?? max(1, (rows + 99) / 100) }

    /// The split of every bar of `times` (ascending).
    /// - Parameters:
    ///   - horizon: the longest label horizon in bars (0 without labels).
    ///   - rows: the series' exported rows, for the default embargo.
    public func assign(times: [Int64], boundaries: [Int64], horizon: Int, rows: Int) -> [String] {
        let n = times.count
        let embargoRows = embargoRows(rows: rows)
        // The first index at or after each boundary.
        let starts = boundaries.map { b in times.firstIndex { $0 >= b } ?? n }
        var out = [String](repeating: "train", count: n)
        let names = ["train"] + boundaries.indices.map { "test_\($0 + 1)" }
        var block = 0
        for i in 0..<n {
            while block < boundaries.count, times[i] >= boundaries[block] { block += 1 }
            out[i] = names[block]
            guard block < boundaries.count else { continue }
            let next = starts[block]
            if i + horizon >= next { out[i] = "purged" } else if i >= next - embargoRows { out[i] = "embargoed" }
        }
        return out
    }

    /// Whether `split` belongs to the training set of fold `k`.
    public static func isTraining(_ split: String, fold k: Int) -> Bool {
        if split == "train" { return true }
        if split.hasPrefix("test_"), let b = Int(split.dropFirst(5)) { return b < k }
        return false
    }
}
