import CPostgres

/// One row of a binary-format result, read in place from libpq's buffer (valid only inside the visitor).
///
/// Each accessor checks the column's type OID and reads PostgreSQL's binary representation: big-endian
/// integers, IEEE 754 doubles, UTF-8 text, and `timestamptz` as microseconds since 2000-01-01 UTC.
public struct PostgresBinaryRow {
    let result: OpaquePointer
    let row: Int32

    /// Type OIDs (pg_type.oid) this reader understands.
    enum OID {
        static let bool: UInt32 = 16, int8: UInt32 = 20, int2: UInt32 = 21, int4: UInt32 = 23, text: UInt32 = 25
        static let float4: UInt32 = 700, float8: UInt32 = 701, varchar: UInt32 = 1043, timestamptz: UInt32 = 1184
    }

    /// Whether the column is SQL NULL.
    public func isNull(_ column: Int) -> Bool { PQgetisnull(result, row, Int32(column)) != 0 }

    private func bytes(_ column: Int) throws -> UnsafeRawBufferPointer {
        let c = Int32(column)
        guard column >= 0, c < PQnfields(result) else {
            throw PostgresError(code: .decoding, serverMessage: "column index \(column) out of range")
        }
        guard PQgetisnull(result, row, c) == 0 else {
            throw PostgresError(code: .decoding, serverMessage: "column \(column) is NULL")
        }
        return UnsafeRawBufferPointer(start: PQgetvalue(result, row, c), count: Int(PQgetlength(result, row, c)))
    }

    private func type(_ column: Int) -> UInt32 { UInt32(PQftype(result, Int32(column))) }

    private func bigEndian<T: FixedWidthInteger>(_ b: UnsafeRawBufferPointer, as: T.Type) -> T {
        T(bigEndian: b.loadUnaligned(as: T.self))
    }

    /// An integer column (int2, int4, int8) as Int64.
    public func int64(_ column: Int) throws -> Int64 {
        let b = try bytes(column)
        switch (type(column), b.count) {
        case (OID.int8, 8): return bigEndian(b, as: Int64.self)
        case (OID.int4, 4): return Int64(bigEndian(b, as: Int32.self))
        case (OID.int2, 2): return Int64(bigEndian(b, as: Int16.self))
        default: throw mismatch(column, "an integer")
        }
    }

    /// A float8 or float4 column (integers are widened).
    public func double(_ column: Int) throws -> Double {
        let b = try bytes(column)
        switch (type(column), b.count) {
        case (OID.float8, 8): return Double(bitPattern: bigEndian(b, as: UInt64.self))
        case (OID.float4, 4): return Double(Float(bitPattern: bigEndian(b, as: UInt32.self)))
        case (OID.int8, _), (OID.int4, _), (OID.int2, _): return Double(try int64(column))
        default: throw mismatch(column, "a double")
        }
    }

    /// A text or varchar column.
    public func string(_ column: Int) throws -> String {
        let b = try bytes(column)
        guard type(column) == OID.text || type(column) == OID.varchar else { throw mismatch(column, "text") }
        return String(decoding: b, as: UTF8.self)
    }

    /// A bool column.
    public func bool(_ column: Int) throws -> Bool {
        let b = try bytes(column)
        guard type(column) == OID.bool, b.count == 1 else { throw mismatch(column, "a bool") }
        return b[0] != 0
    }

    /// A timestamptz column as Unix seconds (fractions of a second are dropped toward the past).
    public func unixSeconds(_ column: Int) throws -> Int64 {
        let b = try bytes(column)
        guard type(column) == OID.timestamptz, b.count == 8 else { throw mismatch(column, "a timestamptz") }
        let micros = bigEndian(b, as: Int64.self)
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        return seconds + 946_684_800   // 2000-01-01T00:00:00Z
    }

    private func mismatch(_ column: Int, _ wanted: String) -> PostgresError {
        PostgresError(code: .decoding, serverMessage: "column \(column) (type OID \(type(column))) is not \(wanted)")
    }
}
