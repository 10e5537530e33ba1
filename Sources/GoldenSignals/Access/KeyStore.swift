import Foundation
import Postgres

/// What a key may do. Each scope includes the ones below it: admin ⊇ write ⊇ read.
public enum Scope: String, Sendable, CaseIterable, Comparable {
    case read, write, admin

    var rank: Int { switch self { case .read: 0; case .write: 1; case .admin: 2 } }
    public static func < (a: Scope, b: Scope) -> Bool { a.rank < b.rank }

    /// `read,write` → scopes; nil when a word is not a scope or the list is empty.
    public static func parseList(_ text: String) -> [Scope]? {
        let words = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard !words.isEmpty else { return nil }
        var out: [Scope] = []
        for w in words {
            guard let s = Scope(rawValue: w) else { return nil }
            if !out.contains(s) { out.append(s) }
        }
        return out.sorted()
    }
}

/// A row of `api_keys` (never the secret; its SHA-256 only).
public struct APIKeyRecord: Sendable {
    public var id: String
    public var name: String
    public var prefix: String
    public var secretSHA256: [UInt8]
    public var scopes: [Scope]
    public var rate: Double
    public var burst: Int
    public var expiresAt: Int64?
    public var revokedAt: Int64?
    public var lastUsedAt: Int64?
    public var createdAt: Int64

    /// Whether the key grants `scope` (a higher scope includes the lower ones).
    public func grants(_ scope: Scope) -> Bool { Self.grants(scope, widest: scopes.max()) }

    /// Whether the key is usable at `now` (Unix seconds).
    public func isActive(at now: Int64) -> Bool { Self.isActive(at: now, revokedAt: revokedAt, expiresAt: expiresAt) }

    /// A scope is granted by itself or a wider one: by a key whose widest scope is `widest` if that is as wide.
    static func grants(_ scope: Scope, widest: Scope?) -> Bool { widest.map { $0 >= scope } ?? false }

    /// A key is usable until it is revoked or expires.
    static func isActive(at now: Int64, revokedAt: Int64?, expiresAt: Int64?) -> Bool {
        revokedAt == nil && (expiresAt.map { now < $0 } ?? true)
    }
}

/// A new key's settings.
public struct NewAPIKey: Sendable {
    public var name: String
    public var scopes: [Scope]
    public var expiresAt: Int64?
    public var rate: Double
    public var burst: Int

    public static let defaultRate = 50.0
    public static let defaultBurst = 100

    public init(name: String, scopes: [Scope], expiresAt: Int64? = nil, rate: Double = defaultRate, burst: Int = defaultBurst) {
        self.name = name
        self.scopes = scopes
        self.expiresAt = expiresAt
        self.rate = rate
        self.burst = burst
    }
}

/// The parts of a presented key: `gs_<12 hex id>_<64 hex secret>`.
public struct PresentedKey: Sendable {
    /// The id's 48 bits, for lookups without hashing a string.
    let idBits: UInt64
    /// The secret's 64 hex characters as they were sent (the stored hash is of this text).
    let secret: SecretText

    /// The id's 12 lower-case hex digits, as in the key (made when asked: a request with a key known to this
    /// replica needs only `idBits`).
    public var id: String {
        withUnsafeBytes(of: idBits.bigEndian) { Crypto.hex($0.dropFirst(2)) }   // the low 48 bits
    }

    /// Nil when the text does not have a key's shape (without saying anything about existence).
    public init?(_ text: some StringProtocol) {
        var text = Substring(text)
        guard let parsed = text.withUTF8({ Self.parse($0) }) else { return nil }
        (idBits, secret) = parsed
    }

    /// A key from its UTF-8 bytes (a header's, where they are), or nil as `init(_:)`.
    init?(utf8: UnsafeBufferPointer<UInt8>) {
        guard let parsed = Self.parse(utf8) else { return nil }
        (idBits, secret) = parsed
    }

    private static func parse(_ u: UnsafeBufferPointer<UInt8>) -> (UInt64, SecretText)? {
        guard u.count == 3 + 12 + 1 + 64, let base = u.baseAddress,
              u[0] == 0x67, u[1] == 0x73, u[2] == 0x5F, u[15] == 0x5F else { return nil }  // gs_, _
        // Lower-case hex digits only (keys are made that way), checked eight bytes at a time: the id's
        // twelve as two overlapping words (3..<11, 7..<15), the secret's sixty-four as its eight words.
        let raw = UnsafeRawPointer(base)
        let secret = SecretText(UnsafeRawBufferPointer(start: raw + 16, count: 64))
        let w = secret.words
        let hex = isLowerHex(raw.loadUnaligned(fromByteOffset: 3, as: UInt64.self))
            & isLowerHex(raw.loadUnaligned(fromByteOffset: 7, as: UInt64.self))
            & isLowerHex(w.0) & isLowerHex(w.1) & isLowerHex(w.2) & isLowerHex(w.3)
            & isLowerHex(w.4) & isLowerHex(w.5) & isLowerHex(w.6) & isLowerHex(w.7)
        guard hex == highBits else { return nil }
        // A digit's value is its low nibble; a letter's (a–f, bit 6 set) its low nibble plus 9.
        var bits: UInt64 = 0
        for i in 3..<15 {
            let c = u[i]
            bits = bits << 4 | UInt64((c & 0x0F) &+ 9 &* (c >> 6 & 1))
        }
        return (bits, secret)
    }

    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The high bit of each byte of `w` set where that byte is an ASCII `0`–`9` or `a`–`f`, clear
    /// elsewhere (no branch: adding 0x80 − k to a byte below 0x80 sets its high bit iff it is ≥ k,
    /// and never carries into the next byte).
    @inline(__always)
    static func isLowerHex(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let ascii = ~w & highBits
        let x = w & ~highBits
        func atLeast(_ k: UInt64) -> UInt64 { (x &+ (0x80 &- k) &* ones) & highBits }
        return ascii & ((atLeast(0x30) & ~atLeast(0x3A)) | (atLeast(0x61) & ~atLeast(0x67)))
    }
}

/// A key's 64-character secret as eight words, compared in constant time.
struct SecretText: Sendable {
    let words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    init(_ raw: UnsafeRawBufferPointer) {
        precondition(raw.count == 64)
        func w(_ i: Int) -> UInt64 { raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) }
        words = (w(0), w(1), w(2), w(3), w(4), w(5), w(6), w(7))
    }

    /// The text's bytes (for hashing).
    var bytes: [UInt8] {
        withUnsafeBytes(of: words) { Array($0) }
    }

    /// Equal, in time that does not depend on where the texts differ.
    func equals(_ other: SecretText) -> Bool {
        let a = words, b = other.words
        let diff = (a.0 ^ b.0) | (a.1 ^ b.1) | (a.2 ^ b.2) | (a.3 ^ b.3) | (a.4 ^ b.4) | (a.5 ^ b.5) | (a.6 ^ b.6) | (a.7 ^ b.7)
        return diff == 0
    }
}

/// Reads and writes `api_keys`.
public struct KeyStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    static let columns = """
        id, name, prefix, secret_sha256, scopes, rate, burst, extract(epoch FROM expires_at)::int8,
        extract(epoch FROM revoked_at)::int8, extract(epoch FROM last_used_at)::int8, extract(epoch FROM created_at)::int8
        """

    static func decode(_ row: PostgresRow) throws -> APIKeyRecord {
        let hash: String = try row.decode(3)
        var bytes: [UInt8] = []
        var u = Array(hash.utf8)[...]
        func nibble(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : c - 0x61 + 10 }
        while u.count >= 2 { bytes.append(nibble(u.first!) << 4 | nibble(u[u.startIndex + 1])); u = u.dropFirst(2) }
        let scopes: String = try row.decode(4)
        return APIKeyRecord(id: try row.decode(0), name: try row.decode(1), prefix: try row.decode(2), secretSHA256: bytes,
                            scopes: Scope.parseList(scopes) ?? [], rate: try row.decode(5), burst: try row.decode(6),
                            expiresAt: try row.decode(7), revokedAt: try row.decode(8), lastUsedAt: try row.decode(9),
                            createdAt: try row.decode(10))
    }

    /// Creates a key; returns its row and the full key text, which exists nowhere else afterwards.
    public func create(_ k: NewAPIKey) throws -> (record: APIKeyRecord, key: String) {
        let id = Crypto.hex(Crypto.randomBytes(6))
        let secret = Crypto.hex(Crypto.randomBytes(32))
        let prefix = "gs_\(id)"
        let hash = Crypto.hex(Crypto.sha256(Array(secret.utf8)))
        let row = try pool.withConnection { conn in
            try conn.query("""
                INSERT INTO api_keys (id, name, prefix, secret_sha256, scopes, rate, burst, expires_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::int8))
                RETURNING \(Self.columns)
                """, [id, k.name, prefix, hash, k.scopes.map(\.rawValue).joined(separator: ","), k.rate, k.burst, k.expiresAt])
        }
        guard let first = row.first else { throw PostgresError(code: .server, serverMessage: "INSERT returned no row") }
        return (try Self.decode(first), "\(prefix)_\(secret)")
    }

    /// Every key, newest first.
    public func list() throws -> [APIKeyRecord] {
        try pool.withConnection { conn in
            try conn.query("SELECT \(Self.columns) FROM api_keys ORDER BY created_at DESC, id", []).map(Self.decode)
        }
    }

    /// One key by id, or nil.
    public func find(id: String) throws -> APIKeyRecord? {
        try pool.withConnection { conn in
            try conn.query("SELECT \(Self.columns) FROM api_keys WHERE id = $1", [id]).first.map(Self.decode)
        }
    }

    /// Revokes a key; false when no key has that id (revoking twice keeps the first time).
    public func revoke(id: String) throws -> Bool {
        try pool.withConnection { conn in
            try conn.query("UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1", [id]).affectedRows == 1
        }
    }

    /// Records when keys were last used (Unix seconds), in one statement.
    public func touch(_ uses: [String: Int64]) throws {
        guard !uses.isEmpty else { return }
        let ids = uses.keys.sorted()
        let times = ids.map { String(uses[$0]!) }
        try pool.withConnection { conn in
            _ = try conn.query("""
                UPDATE api_keys k SET last_used_at = to_timestamp(u.t::int8)
                FROM unnest($1::text[], $2::text[]) AS u(id, t)
                WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < to_timestamp(u.t::int8))
                """, [ids, times])
        }
    }
}

/// Key expiry as given on the command line.
public enum KeyExpiry {
    /// `90d`, `12h`, `30m`, `3600s` from `now`, or an RFC 3339 time / date; nil when neither.
    public static func parse(_ text: String, now: Int64) -> Int64? {
        if let unit = text.last, let n = Int64(text.dropLast()), n > 0 {
            switch unit {
            case "d": return now + n * 86_400
            case "h": return now + n * 3_600
            case "m": return now + n * 60
            case "s": return now + n
            default: break
            }
        }
        return RFC3339.parse(text)
    }
}
