// HTTPClient module: a small blocking outbound HTTP client over libcurl.
internal import CCurl
import Foundation

/// One outbound HTTP request.
public struct HTTPClientRequest: Sendable {
    /// Absolute URL (`http://` or `https://`).
    public var url: String
    /// HTTP method, e.g. `GET`, `POST`.
    public var method: String = "GET"
    /// Request headers in order; names are sent as given.
    public var headers: [(String, String)] = []
    /// Request body, or nil for none.
    public var body: [UInt8]? = nil
    /// Seconds allowed to establish the connection (TCP + TLS).
    public var connectTimeout: Double = 5
    /// Seconds allowed for the whole transfer.
    public var timeout: Double = 20
    /// The transfer is aborted with `.tooLarge` once the (decoded) body exceeds this many bytes.
    public var maxResponseBytes: Int = 32 << 20
    /// Pinned name resolutions in curl's `CURLOPT_RESOLVE` form (`host:port:address`), so that an
    /// address checked before the request is the one connected to.
    public var resolve: [String] = []

    /// A request with default timeouts and size limit.
    public init(url: String, method: String = "GET", headers: [(String, String)] = [], body: [UInt8]? = nil) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
    }
}

/// A complete HTTP response (any status; only transport failures throw).
public struct HTTPClientResponse: Sendable {
    /// HTTP status code.
    public var status: Int
    /// Response headers in the order received (of the final response).
    public var headers: [(String, String)]
    /// Response body (decoded if the server used content encoding).
    public var body: [UInt8]

    /// Makes a response (used by the client and by fake transports).
    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        for (k, v) in headers where k.lowercased() == wanted { return v }
        return nil
    }

    /// The body as UTF-8 text (invalid sequences repaired).
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A transport failure: no complete HTTP response was received.
public struct HTTPClientError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public enum Kind: Sendable {
        case timeout, connect, tls, tooLarge, other
    }
    /// The failure class.
    public var kind: Kind
    /// A human-readable detail (curl's message).
    public var message: String

    /// Makes an error.
    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    /// `kind: message`.
    public var description: String { "HTTP client \(kind): \(message)" }
}

/// Anything that can send a request and return the response; `HTTPClient` in production, fakes in tests.
public protocol HTTPTransport: Sendable {
    /// Sends the request and waits for the complete response; throws `HTTPClientError` on transport failure.
    func send(_ request: HTTPClientRequest) throws -> HTTPClientResponse
}

/// curl_global_init exactly once per process (Swift globals are initialised lazily and atomically).
private let curlGlobalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

/// Accumulates one transfer's headers and body; passed to curl callbacks as `userdata`.
private final class TransferState {
    var body: [UInt8] = []
    var headers: [(String, String)] = []
    let limit: Int
    var tooLarge = false

    init(limit: Int) { self.limit = limit }
}

private let writeCallback: gs_curl_data_callback = { ptr, size, nmemb, userdata in
    let count = size * nmemb
    guard let userdata else { return 0 }
    let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
    if state.body.count + count > state.limit {
        state.tooLarge = true
        return 0   // makes curl abort with CURLE_WRITE_ERROR
    }
    if count > 0, let ptr {
        ptr.withMemoryRebound(to: UInt8.self, capacity: count) { p in
            state.body.append(contentsOf: UnsafeBufferPointer(start: p, count: count))
        }
    }
    return count
}

private let headerCallback: gs_curl_data_callback = { ptr, size, nmemb, userdata in
    let count = size * nmemb
    guard let userdata, let ptr else { return count }
    let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
    let line = ptr.withMemoryRebound(to: UInt8.self, capacity: count) { p in
        String(decoding: UnsafeBufferPointer(start: p, count: count), as: UTF8.self)
    }
    if line.hasPrefix("HTTP/") {
        state.headers.removeAll()   // a new response (e.g. after 100 Continue): keep only the final one
        return count
    }
    if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].trimmingCharacters(in: .whitespaces)
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        if !name.isEmpty { state.headers.append((name, value)) }
    }
    return count
}

/// A blocking HTTP client over libcurl. Thread-safe: each call checks an easy handle out of a small pool
/// (reset before use, so connections and DNS are reused). TLS peer and host verification are always on,
/// HTTP/2 is negotiated over TLS when offered, redirects are never followed.
public final class HTTPClient: HTTPTransport, @unchecked Sendable {
    private let userAgent: String
    private let lock = NSLock()
    private var pool: [OpaquePointer] = []
    private let maxPooled = 8

    /// Makes a client that sends `userAgent` with every request.
    public init(userAgent: String = "GoldenSignals/0.1") {
        _ = curlGlobalInit
        self.userAgent = userAgent
    }

    deinit {
        for h in pool { curl_easy_cleanup(UnsafeMutableRawPointer(h)) }
    }

    private func checkout() -> UnsafeMutableRawPointer? {
        lock.lock()
        let h = pool.popLast()
        lock.unlock()
        if let h {
            let raw = UnsafeMutableRawPointer(h)
            curl_easy_reset(raw)
            return raw
        }
        return curl_easy_init()
    }

    private func checkin(_ handle: UnsafeMutableRawPointer) {
        lock.lock()
        if pool.count < maxPooled {
            pool.append(OpaquePointer(handle))
            lock.unlock()
        } else {
            lock.unlock()
            curl_easy_cleanup(handle)
        }
    }

    /// Performs the request; returns any HTTP status, throws `HTTPClientError` on transport failure.
    public func send(_ request: HTTPClientRequest) throws -> HTTPClientResponse {
        guard curlGlobalInit == CURLE_OK else {
            throw HTTPClientError(kind: .other, message: "curl_global_init failed")
        }
        guard let h = checkout() else {
            throw HTTPClientError(kind: .other, message: "curl_easy_init failed")
        }
        var reusable = true
        defer { if reusable { checkin(h) } else { curl_easy_cleanup(h) } }

        let state = TransferState(limit: max(0, request.maxResponseBytes))
        let statePtr = Unmanaged.passRetained(state)
        defer { statePtr.release() }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }

        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { if let headerList { curl_slist_free_all(headerList) } }
        for (name, value) in request.headers {
            // "Name:" with an empty value would remove the header in curl; "Name;" sends it empty.
            let line = value.isEmpty ? "\(name);" : "\(name): \(value)"
            headerList = curl_slist_append(headerList, line)
        }

        var resolveList: UnsafeMutablePointer<curl_slist>? = nil
        defer { if let resolveList { curl_slist_free_all(resolveList) } }
        for entry in request.resolve { resolveList = curl_slist_append(resolveList, entry) }

        var rc = CURLE_OK
        func set(_ code: CURLcode) { if rc == CURLE_OK { rc = code } }
        set(gs_curl_setopt_string(h, CURLOPT_URL, request.url))
        set(gs_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1))
        set(gs_curl_setopt_pointer(h, CURLOPT_ERRORBUFFER, errorBuffer))
        set(gs_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, HTTPClient.milliseconds(request.connectTimeout)))
        set(gs_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, HTTPClient.milliseconds(request.timeout)))
        set(gs_curl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 1))
        set(gs_curl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 2))
        set(gs_curl_setopt_long(h, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)))
        set(gs_curl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0))
        set(gs_curl_setopt_string(h, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(gs_curl_setopt_string(h, CURLOPT_USERAGENT, userAgent))
        set(gs_curl_setopt_string(h, CURLOPT_ACCEPT_ENCODING, ""))   // every encoding curl supports
        set(gs_curl_setopt_off_t(h, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(max(0, request.maxResponseBytes))))
        set(gs_curl_setopt_write_function(h, writeCallback))
        set(gs_curl_setopt_pointer(h, CURLOPT_WRITEDATA, statePtr.toOpaque()))
        set(gs_curl_setopt_header_function(h, headerCallback))
        set(gs_curl_setopt_pointer(h, CURLOPT_HEADERDATA, statePtr.toOpaque()))
        if let headerList { set(gs_curl_setopt_slist(h, CURLOPT_HTTPHEADER, headerList)) }
        // Reused handles keep earlier options: always set (or clear) the pinned resolutions.
        set(gs_curl_setopt_slist(h, CURLOPT_RESOLVE, resolveList))

        let method = request.method.uppercased()
        switch method {
        case "GET":
            set(gs_curl_setopt_long(h, CURLOPT_HTTPGET, 1))
        case "HEAD":
            set(gs_curl_setopt_long(h, CURLOPT_NOBODY, 1))
        default:
            if let body = request.body {
                set(gs_curl_setopt_off_t(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
                body.withUnsafeBufferPointer { buf in
                    // COPYPOSTFIELDS copies the bytes, so the buffer need not outlive this call.
                    set(gs_curl_setopt_pointer(h, CURLOPT_COPYPOSTFIELDS,
                                               UnsafeMutableRawPointer(mutating: buf.baseAddress ?? UnsafePointer(bitPattern: 1)!)))
                }
            } else if method == "POST" {
                set(gs_curl_setopt_off_t(h, CURLOPT_POSTFIELDSIZE_LARGE, 0))
                set(gs_curl_setopt_string(h, CURLOPT_COPYPOSTFIELDS, ""))
            }
            if method != "POST" { set(gs_curl_setopt_string(h, CURLOPT_CUSTOMREQUEST, method)) }
        }
        if rc != CURLE_OK {
            reusable = false
            throw HTTPClientError(kind: .other, message: "curl option: \(String(cString: curl_easy_strerror(rc)))")
        }

        let result = curl_easy_perform(h)
        if result != CURLE_OK {
            reusable = false
            let detail = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(result))
            throw HTTPClientError(kind: HTTPClient.kind(of: result, tooLarge: state.tooLarge), message: detail)
        }
        var status = 0
        _ = gs_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        return HTTPClientResponse(status: status, headers: state.headers, body: state.body)
    }

    /// A timeout in seconds as libcurl's milliseconds: at least 1, at most a day (a configured `1e300` or infinity
    /// would trap in `Int(_:)`; NaN means the least).
    static func milliseconds(_ seconds: Double) -> Int {
        let ms = seconds * 1000
        guard ms.isFinite else { return ms > 0 ? 86_400_000 : 1 }
        return Int(min(86_400_000, max(1, ms)))
    }

    private static func kind(of code: CURLcode, tooLarge: Bool) -> HTTPClientError.Kind {
        if tooLarge || code == CURLE_FILESIZE_EXCEEDED { return .tooLarge }
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY,
             CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING:
            return code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL ? .other : .connect
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_USE_SSL_FAILED,
             CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS,
             CURLE_SSL_SHUTDOWN_FAILED:
            return .tls
        default:
            return .other
        }
    }
}
