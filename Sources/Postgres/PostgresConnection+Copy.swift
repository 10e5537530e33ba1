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

extension PostgresConnection {
    /// Runs `COPY … FROM STDIN (FORMAT binary)` and streams the rows that `produce` appends with
    /// `appendBinaryRow`: PostgreSQL takes the values as they are, with no text to parse (numbers and
    /// times are the bulk of a wide row's cost in text format), and text fields need no escaping.
    /// - Returns: the number of rows loaded, as reported by the server.
    public func copyInBinary(_ copyStatement: String, _ produce: (inout PostgresCopyWriter) throws -> Void) throws -> Int {
        try copyIn(copyStatement) { writer in
            // Signature, flags (no OIDs), header extension length.
            try writer.appendRaw { $0.append(contentsOf: [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]) }
            try produce(&writer)
            try writer.appendRaw { $0.append(contentsOf: [0xFF, 0xFF]) }   // trailer: a field count of −1
        }
    }
}

extension PostgresCopyWriter {
    /// Appends one row of a binary COPY (`copyInBinary`): `write` appends exactly `fieldCount` fields,
    /// in the statement's column order.
    public mutating func appendBinaryRow(fieldCount: Int, _ write: (inout PostgresCopyBinaryRow) -> Void) throws {
        try appendRaw { buffer in
            var row = PostgresCopyBinaryRow(buffer: [])
            swap(&row.buffer, &buffer)
            row.int16(Int16(fieldCount))
            write(&row)
            precondition(row.fields == fieldCount, "a binary COPY row got \(row.fields) fields, not \(fieldCount)")
            swap(&row.buffer, &buffer)
        }
        rowsAppended += 1
    }
}

/// The fields of one binary COPY row, each its byte length (−1 for NULL) then its value in the type's
/// binary wire format (big-endian integers and IEEE doubles, UTF-8 text, timestamps in microseconds
/// since 2000-01-01 UTC). Only valid inside `appendBinaryRow`.
public struct PostgresCopyBinaryRow {
    fileprivate var buffer: [UInt8]
    fileprivate var fields = 0

    @inline(__always) fileprivate mutating func int16(_ v: Int16) {
        buffer.append(UInt8(truncatingIfNeeded: v >> 8)); buffer.append(UInt8(truncatingIfNeeded: v))
    }

    // Byte by byte: half the time of appending the value's bytes as a buffer (which goes through the generic
    // sequence append: 22 → 11 ns a float8 field), and a row has about thirty of these.
    @inline(__always) private mutating func bigEndian32(_ v: UInt32) {
        buffer.append(UInt8(truncatingIfNeeded: v >> 24)); buffer.append(UInt8(truncatingIfNeeded: v >> 16))
        buffer.append(UInt8(truncatingIfNeeded: v >> 8)); buffer.append(UInt8(truncatingIfNeeded: v))
    }

    @inline(__always) private mutating func bigEndian64(_ v: UInt64) {
        bigEndian32(UInt32(truncatingIfNeeded: v >> 32)); bigEndian32(UInt32(truncatingIfNeeded: v))
    }

    public mutating func null() {
        bigEndian32(UInt32(bitPattern: -1))
        fields += 1
    }

    /// `bigint`.
    public mutating func int8(_ v: Int64) {
        bigEndian32(8); bigEndian64(UInt64(bitPattern: v))
        fields += 1
    }

    /// `integer`.
    public mutating func int4(_ v: Int32) {
        bigEndian32(4); bigEndian32(UInt32(bitPattern: v))
        fields += 1
    }

    /// `double precision`; nil is NULL.
    public mutating func float8(_ v: Double?) {
        guard let v else { return null() }
        bigEndian32(8); bigEndian64(v.bitPattern)
        fields += 1
    }

    /// `double precision[]`, one dimension of `count` elements (none: the empty array); `element(i)` is the
    /// i-th, nil for NULL. The array's wire format: dimensions, a has-NULLs flag, the element type (`float8`,
    /// OID 701), each dimension's length and lower bound (1), then each element as a field.
    public mutating func float8Array(count: Int, _ element: (Int) -> Double?) {
        let lengthAt = beginField()
        bigEndian32(count == 0 ? 0 : 1)
        let flagAt = buffer.count
        bigEndian32(0); bigEndian32(701)
        if count > 0 { bigEndian32(UInt32(count)); bigEndian32(1) }
        var nulls = false
        for i in 0..<count {
            if let v = element(i) { bigEndian32(8); bigEndian64(v.bitPattern) } else { bigEndian32(UInt32(bitPattern: -1)); nulls = true }
        }
        if nulls { buffer[flagAt + 3] = 1 }
        endField(lengthAt)
    }

    /// `text` whose UTF-8 `write` appends straight to the row, with no buffer of its own (it must append only
    /// valid UTF-8).
    public mutating func text(writing write: (inout [UInt8]) -> Void) {
        let lengthAt = beginField()
        write(&buffer)
        endField(lengthAt)
    }

    /// Starts a field whose length is known only once written: a placeholder for the length, at the offset returned.
    private mutating func beginField() -> Int {
        defer { bigEndian32(0) }
        return buffer.count
    }

    /// Ends the field `beginField` started: its length, written over the placeholder.
    private mutating func endField(_ lengthAt: Int) {
        let length = UInt32(buffer.count - lengthAt - 4).bigEndian
        withUnsafeBytes(of: length) { for k in 0..<4 { buffer[lengthAt + k] = $0[k] } }
        fields += 1
    }

    /// `boolean`.
    public mutating func bool(_ v: Bool) {
        bigEndian32(1); buffer.append(v ? 1 : 0)
        fields += 1
    }

    /// `text` (UTF-8); nil is NULL.
    public mutating func text(_ v: String?) {
        guard var v else { return null() }
        v.withUTF8 { text(bytes: $0) }
    }

    /// `text` from UTF-8 bytes.
    public mutating func text(bytes: UnsafeBufferPointer<UInt8>) {
        bigEndian32(UInt32(bytes.count)); buffer.append(contentsOf: bytes)
        fields += 1
    }

    /// `text` from UTF-8 bytes.
    public mutating func text(bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { text(bytes: $0) }
    }

    /// `timestamptz` from Unix seconds.
    public mutating func timestamptz(unixSeconds: Int64) {
        int8((unixSeconds - 946_684_800) * 1_000_000)
    }

    /// `uuid` from its 16 bytes.
    public mutating func uuid(_ bytes: [UInt8]) {
        precondition(bytes.count == 16, "a uuid is 16 bytes")
        bigEndian32(16); buffer.append(contentsOf: bytes)
        fields += 1
    }
}
