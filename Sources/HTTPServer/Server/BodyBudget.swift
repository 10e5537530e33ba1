/// The body bytes all connections of a server may hold at once: a connection reserves what a body
/// will need before reading it (the declared length, or step by step for a chunked body) and gives
/// it back when its response is done, so that many large uploads at once meet a 503, not the OOM killer.
final class BodyBudget: @unchecked Sendable {
    let limit: Int
    private let lock = ConditionLock()
    private var used = 0

    init(limit: Int) {
        self.limit = max(0, limit)
    }

    /// Takes `bytes` from the budget; false (and nothing taken) when they do not fit.
    func reserve(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return true }
        return lock.withLock {
            guard bytes <= limit - used else { return false }
            used += bytes
            return true
        }
    }

    /// Gives back `bytes` taken by `reserve`.
    func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        lock.withLock { used = max(0, used - bytes) }
    }

    /// Bytes currently reserved.
    var reserved: Int { lock.withLock { used } }
}
