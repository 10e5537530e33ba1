/// Reports every request to `record`: method, route pattern (or `"unmatched"`), status and
/// duration in seconds. For the monitoring layer to feed its counters and histograms.
public struct MetricsMiddleware: Middleware {
    let record: @Sendable (_ method: String, _ route: String, _ status: Int, _ seconds: Double) -> Void

    public init(record: @escaping @Sendable (_ method: String, _ route: String, _ status: Int, _ seconds: Double) -> Void) {
        self.record = record
    }

    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        let start = monotonicNow()
        do {
            let response = try next(request)
            record(request.method.rawValue, request.routePattern ?? "unmatched", response.status.code, monotonicNow() - start)
            return response
        } catch {
            record(request.method.rawValue, request.routePattern ?? "unmatched", Router.status(for: error).code, monotonicNow() - start)
            throw error
        }
    }
}
