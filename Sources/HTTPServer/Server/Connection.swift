import Glibc

/// One client connection: reads and parses requests, runs them one at a time (so pipelined
/// requests are answered in order), and writes responses. Only ever touched on its loop's
/// thread; other threads reach it through `EventLoop.execute`.
final class Connection: @unchecked Sendable {
    enum Phase {
        /// Reading (or parsing buffered bytes of) the next request.
        case reading
        /// A handler is running; no further request is parsed.
        case processing
        /// A `.stream` body is being produced.
        case streaming
        /// The last response is being flushed; then the connection closes.
        case closing
        /// Our side is shut down; what the client still sends is read and dropped until it closes.
        case lingering
        case closed
    }

    let fd: Int32
    let remoteAddress: String
    unowned let loop: EventLoop
    private(set) var phase = Phase.reading
    private var parser: HTTPRequestParser
    private var input: [UInt8] = []
    private var inputStart = 0
    private var output: [UInt8] = []
    private var outputStart = 0
    private var readable = false
    private var peerClosed = false
    /// The peer shut down its side (EPOLLRDHUP): reads go on until they return 0.
    private var sawHangup = false
    private var driving = false
    /// When the first byte of the request being read arrived (0: none yet).
    private var requestStartedAt = 0.0
    private var lastActivity: Double
    private var lingerUntil = 0.0
    private var lingerBytes = 0
    /// When the head of the body being read was parsed (the body's deadline and rate count from here).
    private var bodyStartedAt = 0.0
    /// Bytes this connection holds of the server's body budget.
    private var reservedBody = 0
    /// When a handler on the worker pool must have answered (0: no deadline running).
    private var handlerDeadline = 0.0

    // The request in progress.
    private var head: ParsedRequestHead?
    private var resolution: Router.Resolution = .notFound
    private var target: (path: String, rawPath: String, rawQuery: String) = ("/", "/", "")
    private var keepAlive = true
    private var isHead = false
    private var minorVersion = 1
    private var streamWriter: ResponseStreamWriter?
    private var streamFraming = ResponseSerializer.Framing.chunked
    /// The producer's flow control of a `.waitForClient` stream (nil: drop slow clients).
    private var streamFlow: StreamBackpressure?

    /// Output beyond which no more pipelined requests are parsed until the client reads.
    private static let outputHighWater = 1 << 20
    /// Output a stream may queue before its client counts as gone.
    private static let streamOutputLimit = 8 << 20

    init(fd: Int32, remoteAddress: String, loop: EventLoop) {
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.loop = loop
        self.parser = HTTPRequestParser(limits: loop.context.configuration.parserLimits)
        self.lastActivity = loop.now
    }

    // MARK: Events

    func handleEvents(_ events: UInt32) {
        if events & Posix.EPOLLERR != 0 {
            close()
            return
        }
        if events & Posix.EPOLLOUT != 0, outputStart < output.count {
            flush()
        }
        if events & (Posix.EPOLLRDHUP | Posix.EPOLLHUP) != 0 { sawHangup = true }
        if phase == .lingering {
            discardInput()
            return
        }
        if events & (Posix.EPOLLIN | Posix.EPOLLRDHUP | Posix.EPOLLHUP) != 0 {
            readable = true
            if phase == .reading { drive() }
        }
    }

    /// Parses buffered requests and reads more, until it must wait for the socket or a handler.
    private func drive() {
        if driving { return }
        driving = true
        defer { driving = false }
        while phase == .reading {
            if output.count - outputStart > Self.outputHighWater { return }  // resumes in flush()
            if inputStart < input.count {
                let (event, consumed) = input.withUnsafeBufferPointer { buffer in
                    parser.parse(UnsafeBufferPointer(rebasing: buffer[inputStart...]))
                }
                inputStart += consumed
                switch event {
                case .head(let head):
                    onHead(head)
                    continue
                case .body(let body):
                    if body.count > reservedBody, !reserveBody(body.count - reservedBody) { return }
                    if let head { dispatch(head, body: body) }
                    continue
                case .error(let error):
                    respondToParseError(error)
                    return
                case .needMore:
                    // A chunked body announces no length: it takes from the budget as it grows.
                    if parser.body.count > reservedBody,
                       !reserveBody(max(parser.body.count - reservedBody, min(reservedBody, 1 << 20))) { return }
                }
            }
            if inputStart == input.count {
                if input.capacity > 16 * 1024 {
                    input = []  // an idle connection keeps at most a small buffer
                } else {
                    input.removeAll(keepingCapacity: true)
                }
                inputStart = 0
            } else if inputStart > 16 * 1024 {
                input.removeFirst(inputStart)
                inputStart = 0
            }
            if peerClosed {
                // End of stream in the middle of a request (or between requests): nothing more
                // to answer, but what is already answered is still delivered.
                if outputStart < output.count {
                    phase = .closing
                } else {
                    close()
                }
                return
            }
            guard readable else { return }
            readMore()
        }
    }

    private func readMore() {
        let buffer = loop.readBuffer
        do {
            switch try Posix.read(fd, buffer) {
            case .done(0):
                peerClosed = true
                readable = false
            case .done(let n):
                if requestStartedAt == 0 { requestStartedAt = loop.now }
                lastActivity = loop.now
                input.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                // A short read drained the socket; with edge-triggered epoll, new data brings a
                // new event, so the read that would only return EAGAIN is skipped.
                if n < buffer.count, !sawHangup { readable = false }
            case .wouldBlock:
                readable = false
            }
        } catch {
            close()
        }
    }

    // MARK: Requests

    private func onHead(_ head: ParsedRequestHead) {
        let method = HTTPMethod(rawValue: head.method)
        let target = Request.splitTarget(head.target)
        self.target = target
        let resolution = loop.context.router.resolve(method: method, rawPath: target.rawPath)
        if head.framing == .none {
            self.head = head
            self.resolution = resolution
            dispatch(head, body: [])
            return
        }
        var willServe = false
        if case .route = resolution { willServe = true }
        if head.expectsContinue, head.minorVersion == 1, !willServe {
            // No `100 Continue` for a request that will not be served: its 404/405 goes out at once, the
            // body is never read, and the connection closes (draining what the client still sends).
            var head = head
            head.keepAlive = false
            self.head = head
            self.resolution = resolution
            dispatch(head, body: [])
            return
        }
        if let error = parser.beginBody(maxBytes: resolution.options.maxBodyBytes) {
            respondToParseError(error)
            return
        }
        let initial: Int
        switch head.framing {
        case .length(let n): initial = n
        default: initial = min(resolution.options.maxBodyBytes, 64 * 1024)
        }
        guard reserveBody(initial) else { return }
        bodyStartedAt = loop.now
        self.head = head
        self.resolution = resolution
        if head.expectsContinue, head.minorVersion == 1 {
            write(ResponseSerializer.continueResponse)
        }
    }

    /// Takes `bytes` more of the server's body budget; when they do not fit, answers 503 with
    /// `Retry-After` (before reading, for a declared length), closes, and returns false.
    private func reserveBody(_ bytes: Int) -> Bool {
        if loop.context.bodyBudget.reserve(bytes) {
            reservedBody += bytes
            return true
        }
        loop.context.configuration.onRejectedRequest?(HTTPStatus.serviceUnavailable.code)
        respondAndClose(Problem(status: .serviceUnavailable, detail: "the server holds too many request bodies; retry shortly")
            .response(headers: HTTPHeaders([("Retry-After", "1")])))
        return false
    }

    private func releaseBody() {
        guard reservedBody > 0 else { return }
        loop.context.bodyBudget.release(reservedBody)
        reservedBody = 0
    }

    private func dispatch(_ head: ParsedRequestHead, body: [UInt8]) {
        phase = .processing
        requestStartedAt = 0
        keepAlive = head.keepAlive
        minorVersion = head.minorVersion
        isHead = head.method == "HEAD"
        let method = HTTPMethod(rawValue: head.method)
        let request = Request(method: method, target: head.target, path: target.path, rawPath: target.rawPath,
                              rawQuery: target.rawQuery, headers: HTTPHeaders(parsed: head.headers), body: body,
                              remoteAddress: remoteAddress)
        self.head = nil
        let resolution = self.resolution
        let router = loop.context.router
        if resolution.options.runsOnLoop {
            complete(router.handle(request, resolution: resolution))
            return
        }
        if let answer = Router.loopAnswer(request, resolution) {
            complete(router.handle(request, resolution: resolution, answer: answer))
            return
        }
        let loop = self.loop
        let timeout = resolution.options.handlerTimeout ?? loop.context.configuration.handlerTimeout
        let deadline = timeout > 0 ? loop.now + timeout : 0
        handlerDeadline = deadline
        let accepted = loop.context.workers.submit { [self] in
            // Dequeued after its deadline: the loop answers (or has answered) 503; do not start the work.
            if deadline > 0, monotonicNow() > deadline { return }
            let response = router.handle(request, resolution: resolution)
            loop.execute { self.complete(response) }
        }
        if !accepted {
            // Answered at once on the loop, through the middleware (so metrics and logs see it).
            if case .route(let route, let parameters) = resolution {
                complete(router.handle(request, resolution: .overloaded(route, parameters: parameters)))
            } else {
                complete(router.handle(request, resolution: resolution))
            }
        }
    }

    /// Writes the response to the request being processed (called on the loop).
    func complete(_ response: Response) {
        guard phase == .processing else { return }
        handlerDeadline = 0
        releaseBody()
        let shouldClose = !keepAlive || loop.draining
        var out = loop.takeScratch()
        var gathered: [UInt8]?   // a body sent beside `out` rather than appended to it
        let date = loop.dateField
        let noBody = ResponseSerializer.forbidsBody(response.status.code)
        switch response.body {
        case .empty:
            let framing: ResponseSerializer.Framing = noBody ? .noBody
                : (isHead && response.headers.contains("Content-Length")) ? .handlerLength : .length(0)
            ResponseSerializer.appendHead(status: response.status, headers: response.headers, framing: framing,
                                          close: shouldClose, http10KeepAlive: minorVersion == 0, date: date, into: &out)
        case .bytes(let bytes):
            ResponseSerializer.appendHead(status: response.status, headers: response.headers,
                                          framing: noBody ? .noBody : .length(bytes.count),
                                          close: shouldClose, http10KeepAlive: minorVersion == 0, date: date, into: &out)
            if !isHead, !noBody {
                // A large body goes out beside the head in one gathered write, not copied after it.
                if bytes.count >= Self.gatherThreshold { gathered = bytes } else { out.append(contentsOf: bytes) }
            }
        case .stream(let produce):
            let framing: ResponseSerializer.Framing = noBody ? .noBody : minorVersion == 0 ? .untilClose : .chunked
            let mustClose = shouldClose || minorVersion == 0
            ResponseSerializer.appendHead(status: response.status, headers: response.headers, framing: framing,
                                          close: mustClose, http10KeepAlive: false, date: date, into: &out)
            write(out)
            loop.scratch = out
            guard phase != .closed else { return }  // the write failed; there is no one to stream to
            if isHead || noBody {
                finishResponse(close: mustClose)
                return
            }
            keepAlive = !mustClose
            streamFraming = framing
            phase = .streaming
            if case .waitForClient(let bound) = response.streamFlow {
                streamFlow = StreamBackpressure(bound: bound)
            } else {
                streamFlow = nil
            }
            let writer = ResponseStreamWriter(sink: ConnectionStreamSink(connection: self, loop: loop, flow: streamFlow))
            streamWriter = writer
            let started = loop.context.workers.submit(force: true) { produce(writer) }
            if !started { close() }  // only when the pool has stopped
            return
        }
        if let gathered { write(out, gathered) } else { write(out) }
        loop.scratch = out
        finishResponse(close: shouldClose)
    }

    private func finishResponse(close: Bool) {
        guard phase != .closed else { return }
        if close {
            phase = .closing
            if outputStart == output.count { closeGracefully() }
            return
        }
        phase = .reading
        if inputStart < input.count { requestStartedAt = loop.now }
        lastActivity = loop.now
        drive()
    }

    private func respondToParseError(_ error: HTTPParseError) {
        let status = HTTPStatus(error.statusCode)
        loop.context.configuration.onRejectedRequest?(status.code)
        respondAndClose(Problem(status: status, detail: error.detail).response())
    }

    private func respondAndClose(_ response: Response) {
        phase = .processing
        keepAlive = false
        isHead = false
        minorVersion = 1
        complete(response)
    }

    // MARK: Streams

    func streamWrite(_ bytes: [UInt8]) {
        guard phase == .streaming else { return }
        defer { streamFlow?.delivered(bytes.count, buffered: output.count - outputStart) }
        var out = loop.takeScratch()
        if case .chunked = streamFraming {
            ResponseSerializer.appendHex(bytes.count, into: &out)
            out.append(0x0D)
            out.append(0x0A)
            out.append(contentsOf: bytes)
            out.append(0x0D)
            out.append(0x0A)
        } else {
            out.append(contentsOf: bytes)
        }
        write(out)
        loop.scratch = out
        if streamFlow == nil, output.count - outputStart > Self.streamOutputLimit { close() }
    }

    func streamFinish() {
        guard phase == .streaming else { return }
        if case .chunked = streamFraming { write(ResponseSerializer.lastChunk) }
        streamWriter = nil
        streamFlow = nil
        phase = .processing
        finishResponse(close: !keepAlive || loop.draining)
    }

    // MARK: Output

    /// Sends at once what the socket takes; keeps the rest for `EPOLLOUT`.
    private func write(_ bytes: [UInt8]) {
        guard phase != .closed, !bytes.isEmpty else { return }
        if outputStart < output.count {
            output.append(contentsOf: bytes)
            return
        }
        let sent = send(bytes, from: 0)
        if sent < 0 { return }
        if sent < bytes.count {
            output.removeAll(keepingCapacity: true)
            outputStart = 0
            output.append(contentsOf: bytes[sent...])
        }
    }

    /// Bodies at least this long are sent beside their head (`write(_:_:)`) instead of being copied after it.
    static let gatherThreshold = 8_192

    /// Sends `head` then `body` with gathered writes; what the socket does not take waits for `EPOLLOUT`
    /// (only that rest is copied).
    private func write(_ head: [UInt8], _ body: [UInt8]) {
        guard phase != .closed else { return }
        if outputStart < output.count {
            output.append(contentsOf: head)
            output.append(contentsOf: body)
            return
        }
        var sent = 0
        let total = head.count + body.count
        while sent < total {
            let result = head.withUnsafeBytes { h in
                body.withUnsafeBytes { b in
                    Result {
                        sent < h.count ? try Posix.send(fd, UnsafeRawBufferPointer(rebasing: h[sent...]), b)
                                       : try Posix.send(fd, UnsafeRawBufferPointer(rebasing: b[(sent - h.count)...]))
                    }
                }
            }
            switch result {
            case .success(.done(let n)):
                sent += n
                lastActivity = loop.now
            case .success(.wouldBlock):
                output.removeAll(keepingCapacity: true)
                outputStart = 0
                if sent < head.count { output.append(contentsOf: head[sent...]) }
                output.append(contentsOf: body[max(0, sent - head.count)...])
                return
            case .failure:
                close()
                return
            }
        }
    }

    /// Returns the bytes sent, or -1 after closing on error.
    private func send(_ bytes: [UInt8], from start: Int) -> Int {
        var offset = start
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                Result { try Posix.send(fd, UnsafeRawBufferPointer(rebasing: raw[offset...])) }
            }
            switch result {
            case .success(.done(let n)):
                offset += n
                lastActivity = loop.now
            case .success(.wouldBlock):
                return offset - start
            case .failure:
                close()
                return -1
            }
        }
        return offset - start
    }

    private func flush() {
        let sent = send(output, from: outputStart)
        if sent < 0 { return }
        outputStart += sent
        streamFlow?.drained(buffered: output.count - outputStart)
        guard outputStart == output.count else { return }
        if output.capacity > 64 * 1024 { output = [] } else { output.removeAll(keepingCapacity: true) }
        outputStart = 0
        switch phase {
        case .closing: closeGracefully()
        case .reading: drive()
        default: break
        }
    }

    // MARK: Lifecycle

    func checkTimeouts(now: Double, headerTimeout: Double, idleTimeout: Double, draining: Bool) {
        switch phase {
        case .reading:
            let pendingOutput = outputStart < output.count
            if requestStartedAt > 0 {
                // A head not complete in time; a body that stalls, takes too long in total, or trickles: 408.
                if let why = slowRequest(now: now, headerTimeout: headerTimeout) {
                    loop.context.configuration.onRejectedRequest?(HTTPStatus.requestTimeout.code)
                    respondAndClose(Problem(status: .requestTimeout, detail: why).response())
                }
            } else if draining && !pendingOutput {
                close()
            } else if now - lastActivity > idleTimeout {
                close()
            }
        case .streaming:
            // A download whose client reads nothing for the idle timeout is given up (its producer waits).
            if draining || (streamFlow != nil && outputStart < output.count && now - lastActivity > idleTimeout) { close() }
        case .closing:
            if now - lastActivity > idleTimeout { close() }
        case .lingering:
            if draining || now > lingerUntil { close() }
        case .processing:
            if handlerDeadline > 0, now > handlerDeadline {
                // The handler goes on in its thread; its answer, when it comes, finds the connection gone.
                loop.context.configuration.onRejectedRequest?(HTTPStatus.serviceUnavailable.code)
                respondAndClose(Problem(status: .serviceUnavailable, detail: "the request took too long; retry later")
                    .response(headers: HTTPHeaders([("Retry-After", "1")])))
            }
        case .closed:
            break
        }
    }

    /// Why the request being read is too slow, or nil.
    private func slowRequest(now: Double, headerTimeout: Double) -> String? {
        guard parser.isReadingBody else {
            return now - requestStartedAt > headerTimeout ? "request not received in time" : nil
        }
        let c = loop.context.configuration
        let elapsed = now - bodyStartedAt
        if now - lastActivity > headerTimeout { return "request body stalled" }
        if elapsed > c.bodyTimeout { return "request body not received in time" }
        if c.minBodyBytesPerSecond > 0, elapsed > c.bodyRateGracePeriod,
           Double(parser.body.count) < Double(c.minBodyBytesPerSecond) * elapsed {
            return "request body arriving too slowly (under \(c.minBodyBytesPerSecond) bytes/s)"
        }
        return nil
    }

    /// Closes after a final response: half-close, then drain what the client still sends (a
    /// body we refused, pipelined requests), so that unread bytes do not make the kernel reset
    /// the connection and destroy the response before the client has read it.
    private func closeGracefully() {
        guard phase != .closed else { return }
        if peerClosed {
            close()
            return
        }
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
        phase = .lingering
        lingerUntil = loop.now + 2
        input = []
        discardInput()
    }

    private func discardInput() {
        while phase == .lingering {
            switch try? Posix.read(fd, loop.readBuffer) {
            case .done(let n)? where n > 0:
                lingerBytes += n
                if lingerBytes > 4 << 20 { close() }
            case .wouldBlock?:
                return
            default:
                close()
            }
        }
    }

    func close() {
        guard phase != .closed else { return }
        phase = .closed
        releaseBody()
        streamWriter?.markClosed()
        streamWriter = nil
        streamFlow?.close()
        streamFlow = nil
        Glibc.close(fd)
        loop.removeConnection(fd)
        input = []
        output = []
    }
}
