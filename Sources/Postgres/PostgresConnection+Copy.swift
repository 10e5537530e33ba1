import CPostgres

extension PostgresConnection {
    /// Runs `COPY … FROM STDIN` (text format) and streams the rows that `produce` appends.
    /// If `produce` throws, the COPY is aborted (nothing is loaded) and the error rethrown.
    /// - Returns: the number of rows loaded, as reported by the server.
    /// - Throws: `PostgresError` with code `.copyFailed` (server rejected data) or `.badQuery` (not a COPY FROM STDIN).
    public func copyIn(_ copyStatement: String, _ produce: (inout PostgresCopyWriter) throws -> Void) throws -> Int {
        let pg = try live()
        guard let start = try awaitResult(pg, sent: PQsendQuery(pg, copyStatement), sql: copyStatement) else {
            throw connectionError(sql: copyStatement)
        }
        let status = PQresultStatus(start)
        guard status == PGRES_COPY_IN else {
            defer { PQclear(start) }
            if status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR {
                throw serverError(start, sql: copyStatement, code: .copyFailed)
            }
            if status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH { broken = true }
            throw PostgresError(code: .badQuery, serverMessage: "copyIn() needs a COPY … FROM STDIN statement", query: copyStatement)
        }
        PQclear(start)
        var writer = PostgresCopyWriter(pg: pg)
        do {
            try produce(&writer)
            try writer.flush()
        } catch {
            _ = PQputCopyEnd(pg, "COPY aborted by the client")
            drainResults(pg) // the server answers the abort with an error we do not need
            if PQstatus(pg) != CONNECTION_OK { broken = true }
            throw error
        }
        guard PQputCopyEnd(pg, nil) == 1 else { throw connectionError(sql: copyStatement) }
        var rows = 0
        var failure: PostgresError?
        while let result = PQgetResult(pg) {
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                rows = Int(String(cString: PQcmdTuples(result))) ?? 0
            } else if failure == nil {
                failure = serverError(result, sql: copyStatement, code: .copyFailed)
            }
            PQclear(result)
        }
        if let failure { throw failure }
        return rows
    }
}

/// Buffers COPY text-format rows and sends them in ~256 KiB chunks; only valid inside `copyIn`'s closure.
public struct PostgresCopyWriter {
    private let pg: OpaquePointer
    private var buffer: [UInt8] = []
    /// Rows appended with `appendRow` (raw appends are not counted).
    public private(set) var rowsAppended = 0
    static let chunkSize = 256 * 1024

    init(pg: OpaquePointer) {
        self.pg = pg
        buffer.reserveCapacity(Self.chunkSize + 4096)
    }

    @inline(__always) static func needsEscape(_ b: UInt8) -> Bool { b == 92 || b == 9 || b == 10 || b == 13 }

    /// Appends one row; escapes backslash, tab, newline and carriage return; nil is written as `\N` (NULL).
    public mutating func appendRow(_ fields: [String?]) throws {
        for (i, field) in fields.enumerated() {
            if i > 0 { buffer.append(UInt8(ascii: "\t")) }
            guard let field else {
                buffer.append(UInt8(ascii: "\\"))
                buffer.append(UInt8(ascii: "N"))
                continue
            }
            var text = field
            text.withUTF8 { (bytes: UnsafeBufferPointer<UInt8>) in
                // Most fields need no escaping: copy them whole.
                if !bytes.contains(where: Self.needsEscape) {
                    buffer.append(contentsOf: bytes)
                    return
                }
                for byte in bytes {
                    switch byte {
                    case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "\\"))
                    case UInt8(ascii: "\t"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "t"))
                    case UInt8(ascii: "\n"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "n"))
                    case UInt8(ascii: "\r"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "r"))
                    default: buffer.append(byte)
                    }
                }
            }
        }
        buffer.append(UInt8(ascii: "\n"))
        rowsAppended += 1
        if buffer.count >= Self.chunkSize { try flush() }
    }

    /// Lets `write` append COPY text (escaped, newline-terminated lines) straight into the buffer, with
    /// no intermediate copy, then sends a full chunk.
    public mutating func appendRaw(writing write: (inout [UInt8]) -> Void) throws {
        write(&buffer)
        if buffer.count >= Self.chunkSize { try flush() }
    }

    /// Sends buffered bytes to the server now.
    public mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        let status = buffer.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { PQputCopyData(pg, $0.baseAddress, Int32($0.count)) }
        }
        guard status == 1 else {
            let code: PostgresError.Code = PQstatus(pg) == CONNECTION_OK ? .copyFailed : .connectionClosed
            throw PostgresError(code: code, serverMessage: String(cString: PQerrorMessage(pg)))
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
