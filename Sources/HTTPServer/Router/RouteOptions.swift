/// A synchronous request handler; throw an `HTTPResponseError` to choose an error status.
public typealias Handler = @Sendable (Request) throws -> Response

/// How a route is run.
public struct RouteOptions: Sendable {
    /// Run the handler on the event loop. Only for handlers that never block (health, metrics, cached pages).
    public var runsOnLoop: Bool
    /// The largest request body accepted; a larger declared body is answered 413 before it is read.
    public var maxBodyBytes: Int
    /// Answers on the event loop when it can without blocking (a cached page), through the middleware
    /// like any response; nil sends the request to the handler on the worker pool. It must never block.
    public var loopResponder: (@Sendable (Request) -> Response?)?
    /// Seconds this route's handler may take instead of the server's `handlerTimeout` (nil: the server's; 0: none).
    public var handlerTimeout: Double?

    public init(runsOnLoop: Bool = false, maxBodyBytes: Int = 8 << 20, loopResponder: (@Sendable (Request) -> Response?)? = nil,
                handlerTimeout: Double? = nil) {
        self.runsOnLoop = runsOnLoop
        self.maxBodyBytes = maxBodyBytes
        self.loopResponder = loopResponder
        self.handlerTimeout = handlerTimeout
    }
}
