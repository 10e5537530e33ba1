import Glibc

/// Sizing `RLIMIT_NOFILE` for the connection cap: every connection is a descriptor, and the process
/// needs more beside them (the database pool, files, listeners, eventfds).
public enum DescriptorLimit {
    /// What the server did with the limit at start.
    public enum Action: Equatable, Sendable {
        /// The soft limit already covered the cap and the headroom.
        case sufficient
        /// The soft limit was raised to `newSoft`.
        case raised(from: Int, to: Int)
        /// The hard limit is too low: the connection cap was lowered to `connections`.
        case loweredConnections(to: Int, softLimit: Int)
    }

    /// The decision, purely: the soft limit to set (nil: leave it) and the connection cap to use.
    /// - Parameters:
    ///   - soft: the current soft limit; `hard`: the hard limit (`Int.max` for unlimited).
    ///   - connections: the configured cap; `headroom`: descriptors needed beside the connections.
    public static func plan(soft: Int, hard: Int, connections: Int, headroom: Int) -> (newSoft: Int?, connections: Int, action: Action) {
        let needed = connections + headroom
        if soft >= needed { return (nil, connections, .sufficient) }
        if hard >= needed { return (needed, connections, .raised(from: soft, to: needed)) }
        let usable = max(soft, hard)
        let cap = max(1, usable - headroom)
        return (usable > soft ? usable : nil, cap, .loweredConnections(to: cap, softLimit: usable))
    }

    /// The current soft and hard limits (`Int.max` for unlimited).
    public static func current() -> (soft: Int, hard: Int) {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return (Int.max, Int.max) }
        return (clamp(limit.rlim_cur), clamp(limit.rlim_max))
    }

    /// Sets the soft limit (keeping the hard one); false when the kernel refuses.
    @discardableResult
    public static func setSoft(_ soft: Int) -> Bool {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return false }
        limit.rlim_cur = rlim_t(max(0, soft))
        return setrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0
    }

    /// Applies `plan` to the process and returns the connection cap to use and what was done.
    static func apply(connections: Int, headroom: Int) -> (connections: Int, action: Action) {
        let (soft, hard) = current()
        var decision = plan(soft: soft, hard: hard, connections: connections, headroom: headroom)
        if let newSoft = decision.newSoft, !setSoft(newSoft) {
            // Refused (a container's policy): live with the soft limit we have.
            decision = plan(soft: soft, hard: soft, connections: connections, headroom: headroom)
        }
        return (decision.connections, decision.action)
    }

    /// RLIM_INFINITY (all ones; it does not import into Swift) and anything beyond Int become Int.max.
    private static func clamp(_ value: rlim_t) -> Int {
        value > rlim_t(Int.max) ? Int.max : Int(value)
    }

    private static var RLIMIT_NOFILE_VALUE: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
}
