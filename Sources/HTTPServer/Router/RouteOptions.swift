/// A synchronous request handler; throw an `HTTPResponseError` to choose an error status.
public typealias Handler = @Sendable (Request) throws -> Response

/// How a route is run.
public struct RouteOptions: Sendable {
    /// Run the handler on the event loop. Only for handlers that never block (health, metrics, cached pages).
    public var runsOnLoop: Bool
    /// The largest request body accepted; a larger declared body is answered 413 before it is read.
    public var maxBodyBytes: Int

    public init(runsOnLoop: Bool = false, maxBodyBytes: Int = 8 << 20) {
        self.runsOnLoop = runsOnLoop
        self.maxBodyBytes = maxBodyBytes
    }
}
