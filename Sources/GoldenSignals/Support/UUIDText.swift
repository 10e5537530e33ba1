import COpenSSL

/// UUIDs as text: validation of the canonical form, and name-based ids from an MD5 digest.
enum UUIDText {
    /// Whether `s` is canonical UUID text (8-4-4-4-12 hex digits, either case).
    static func isValid(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 36 else { return false }
        for (i, c) in u.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 { if c != UInt8(ascii: "-") { return false } } else {
                let hex = (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
                if !hex { return false }
            }
        }
        return true
    }

    /// The MD5 of `text` written as a UUID (lower-case), as PostgreSQL's `md5(text)::uuid` gives it.
    static func md5(_ text: String) -> String { Self.text(md5Bytes(text)) }

    /// The 16 bytes of the MD5 of `text`'s UTF-8.
    static func md5Bytes(_ text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { md5Bytes(UnsafeRawBufferPointer($0)) }
    }

    /// MD5, looked up once (OpenSSL 3 looks an algorithm named by `EVP_md5()` up again on every digest).
    nonisolated(unsafe) private static let md5Digest: OpaquePointer? = EVP_MD_fetch(nil, "MD5", nil)

    /// The 16 bytes of the MD5 of `data`.
    static func md5Bytes(_ data: UnsafeRawBufferPointer) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = EVP_Digest(data.baseAddress, data.count, &digest, &length, md5Digest ?? EVP_md5(), nil)
        precondition(ok == 1 && length == 16, "EVP_Digest(MD5) failed")
        digest.removeLast(digest.count - 16)
        return digest
    }

    /// 16 bytes as canonical UUID text (lower-case).
    static func text(_ bytes: [UInt8]) -> String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, b) in bytes.prefix(16).enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
