/// Wraps request handling; call `next` to continue, or answer without calling it.
public protocol Middleware: Sendable {
    func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response
}
