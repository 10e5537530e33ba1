import Glibc

/// A failed system call: the function and errno (never any request data).
struct SystemError: Error, CustomStringConvertible {
    let function: String
    let errno: Int32

    var description: String { "\(function) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// The result of a non-blocking call.
enum IOResult<T> {
    case done(T)
    case wouldBlock
}

/// All libc, socket and epoll calls of the server, each retried on `EINTR`, `EAGAIN` turned
/// into `.wouldBlock`, anything else thrown as `SystemError` (NIO's System.swift habit).
enum Posix {
    @inline(__always)
    static func call(_ function: String, _ body: () -> Int) throws -> IOResult<Int> {
        while true {
            let r = body()
            if r >= 0 { return .done(r) }
            let e = Glibc.errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            throw SystemError(function: function, errno: e)
        }
    }

    @discardableResult
    static func callBlocking(_ function: String, _ body: () -> Int32) throws -> Int32 {
        while true {
            let r = body()
            if r >= 0 { return r }
            let e = Glibc.errno
            if e == EINTR { continue }
            throw SystemError(function: function, errno: e)
        }
    }

    // MARK: Sockets

    /// A non-blocking listening TCP socket with `SO_REUSEADDR` and `SO_REUSEPORT`.
    static func listen(host: String, port: Int, backlog: Int32) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var result: UnsafeMutablePointer<addrinfo>? = nil
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let info = result else { throw SystemError(function: "getaddrinfo", errno: rc) }
        defer { freeaddrinfo(result) }
        let fd = try callBlocking("socket") {
            socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            try setOption(fd, SOL_SOCKET, SO_REUSEPORT, 1)
            try callBlocking("bind") { bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) }
            try callBlocking("listen") { Glibc.listen(fd, backlog) }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws {
        var v = value
        try callBlocking("setsockopt") { setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) }
    }

    /// The local port a socket is bound to.
    static func localPort(_ fd: Int32) throws -> Int {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        try withUnsafeMutablePointer(to: &storage) { p in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                _ = try callBlocking("getsockname") { getsockname(fd, sa, &len) }
            }
        }
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { p in
            if family == AF_INET6 {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    /// Accepts one connection (`SOCK_NONBLOCK|SOCK_CLOEXEC`); returns the fd and the peer as `host:port`.
    static func accept(_ listenFD: Int32) throws -> IOResult<(Int32, String)> {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let r = try withUnsafeMutablePointer(to: &storage) { p in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                try call("accept4") { Int(CLinux.accept4(listenFD, sa, &len, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))) }
            }
        }
        guard case .done(let fd) = r else { return .wouldBlock }
        return .done((Int32(fd), describe(&storage)))
    }

    private static func describe(_ storage: inout sockaddr_storage) -> String {
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { p in
            if family == AF_INET6 {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    var addr = sin6.pointee.sin6_addr
                    inet_ntop(AF_INET6, &addr, &buf, socklen_t(buf.count))
                    return "[\(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))]:\(UInt16(bigEndian: sin6.pointee.sin6_port))"
                }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                var addr = sin.pointee.sin_addr
                inet_ntop(AF_INET, &addr, &buf, socklen_t(buf.count))
                return "\(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)):\(UInt16(bigEndian: sin.pointee.sin_port))"
            }
        }
    }

    /// Reads into `buffer`; `.done(0)` is end of stream.
    @inline(__always)
    static func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) throws -> IOResult<Int> {
        try call("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Sends without raising SIGPIPE.
    @inline(__always)
    static func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws -> IOResult<Int> {
        try call("send") { Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
    }

    /// One `sendmsg` of two buffers in order (a response head and its body, neither copied into the other).
    static func send(_ fd: Int32, _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) throws -> IOResult<Int> {
        var iov = (iovec(iov_base: UnsafeMutableRawPointer(mutating: first.baseAddress), iov_len: first.count),
                   iovec(iov_base: UnsafeMutableRawPointer(mutating: second.baseAddress), iov_len: second.count))
        return try withUnsafeMutablePointer(to: &iov) { pair in
            try pair.withMemoryRebound(to: iovec.self, capacity: 2) { vectors in
                var message = msghdr()
                message.msg_iov = vectors
                message.msg_iovlen = 2
                return try call("sendmsg") { Glibc.sendmsg(fd, &message, Int32(MSG_NOSIGNAL)) }
            }
        }
    }

    // MARK: epoll and eventfd

    static func epollCreate() throws -> Int32 {
        try callBlocking("epoll_create1") { CLinux.epoll_create1(CLinux.EPOLL_CLOEXEC) }
    }

    static func epollAdd(_ epfd: Int32, _ fd: Int32, events: UInt32) throws {
        let ev = EpollEvents(capacity: 1)
        defer { ev.deallocate() }
        ev.set(0, events: events, fd: fd)
        try callBlocking("epoll_ctl") { CLinux.epoll_ctl(epfd, CLinux.EPOLL_CTL_ADD, fd, ev.base) }
    }

    static func epollDelete(_ epfd: Int32, _ fd: Int32) {
        let ev = EpollEvents(capacity: 1)
        defer { ev.deallocate() }
        _ = CLinux.epoll_ctl(epfd, CLinux.EPOLL_CTL_DEL, fd, ev.base)
    }

    static func epollWait(_ epfd: Int32, _ events: EpollEvents, timeoutMS: Int32) throws -> Int {
        let r = CLinux.epoll_wait(epfd, events.base, Int32(events.capacity), timeoutMS)
        if r >= 0 { return Int(r) }
        if Glibc.errno == EINTR { return 0 }
        throw SystemError(function: "epoll_wait", errno: Glibc.errno)
    }

    static func eventFD() throws -> Int32 {
        try callBlocking("eventfd") { CLinux.eventfd(0, CLinux.EFD_CLOEXEC | CLinux.EFD_NONBLOCK) }
    }

    static func signalEventFD(_ fd: Int32) {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { Glibc.write(fd, $0.baseAddress, 8) }
    }

    static func drainEventFD(_ fd: Int32) {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { Glibc.read(fd, $0.baseAddress, 8) }
    }

    static let EPOLLIN: UInt32 = 0x001
    static let EPOLLOUT: UInt32 = 0x004
    static let EPOLLERR: UInt32 = 0x008
    static let EPOLLHUP: UInt32 = 0x010
    static let EPOLLRDHUP: UInt32 = 0x2000
    static let EPOLLET: UInt32 = 1 << 31

    // MARK: Threads

    private final class ThreadBox {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts a detached thread running `body`.
    static func startThread(name: String, _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(ThreadBox(body)).toOpaque()
        var thread = pthread_t()
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
        let rc = pthread_create(&thread, &attr, { arg in
            let box = Unmanaged<ThreadBox>.fromOpaque(arg!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        pthread_attr_destroy(&attr)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        _ = String(name.prefix(15)).withCString { CLinux.pthread_setname_np(thread, $0) }
    }
}

/// Linux calls that Glibc's module map does not export (no `_GNU_SOURCE`, no `<sys/epoll.h>`).
///
/// Declared with `@_extern(c)` so that they use the C calling convention; no C target needed.
enum CLinux {
    @_extern(c, "epoll_create1") static func epoll_create1(_ flags: Int32) -> Int32
    @_extern(c, "epoll_ctl") static func epoll_ctl(_ epfd: Int32, _ op: Int32, _ fd: Int32, _ event: UnsafeMutableRawPointer?) -> Int32
    @_extern(c, "epoll_wait") static func epoll_wait(_ epfd: Int32, _ events: UnsafeMutableRawPointer?, _ max: Int32, _ timeout: Int32) -> Int32
    @_extern(c, "eventfd") static func eventfd(_ initval: UInt32, _ flags: Int32) -> Int32
    @_extern(c, "pthread_setname_np") static func pthread_setname_np(_ thread: pthread_t, _ name: UnsafePointer<CChar>) -> Int32
    @_extern(c, "accept4") static func accept4(_ fd: Int32, _ addr: UnsafeMutablePointer<sockaddr>?, _ len: UnsafeMutablePointer<socklen_t>?, _ flags: Int32) -> Int32

    static let EPOLL_CLOEXEC: Int32 = 0o2000000
    static let EPOLL_CTL_ADD: Int32 = 1
    static let EPOLL_CTL_DEL: Int32 = 2
    static let EFD_CLOEXEC: Int32 = 0o2000000
    static let EFD_NONBLOCK: Int32 = 0o4000
}

/// A preallocated array of `struct epoll_event`, which is packed (12 bytes) on x86_64.
struct EpollEvents {
    #if arch(x86_64)
    static let stride = 12
    static let dataOffset = 4
    #else
    static let stride = 16
    static let dataOffset = 8
    #endif

    let base: UnsafeMutableRawPointer
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(byteCount: capacity * Self.stride, alignment: 8)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * Self.stride)
    }

    func deallocate() { base.deallocate() }

    func set(_ i: Int, events: UInt32, fd: Int32) {
        base.storeBytes(of: events, toByteOffset: i * Self.stride, as: UInt32.self)
        base.storeBytes(of: UInt64(UInt32(bitPattern: fd)), toByteOffset: i * Self.stride + Self.dataOffset, as: UInt64.self)
    }

    func events(_ i: Int) -> UInt32 {
        base.loadUnaligned(fromByteOffset: i * Self.stride, as: UInt32.self)
    }

    func fd(_ i: Int) -> Int32 {
        Int32(truncatingIfNeeded: base.loadUnaligned(fromByteOffset: i * Self.stride + Self.dataOffset, as: UInt64.self))
    }
}
