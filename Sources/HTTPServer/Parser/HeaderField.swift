// Pure Swift, no imports: compiled into the libFuzzer harness as well (Fuzz/run.sh).

/// A header field with a fingerprint of its name: lookups compare fingerprints, plain integers, and
/// read a field's strings only where they match (reading the strings of every field passed over
/// retained and released each of them).
struct HeaderField: Sendable {
    var name: String
    var value: String
    /// `HeaderField.fingerprint` of `name`: equal for names that are equal ignoring ASCII case.
    let print: UInt64

    init(name: String, value: String) {
        self.name = name
        self.value = value
        print = Self.fingerprint(name)
    }

    /// A field whose name's fingerprint is known (the parser takes it from the bytes it read).
    init(name: String, value: String, print: UInt64) {
        self.name = name
        self.value = value
        self.print = print
    }

    static func fingerprint(_ name: String) -> UInt64 {
        name.utf8.withContiguousStorageIfAvailable { fingerprint($0) }
            ?? Array(name.utf8).withUnsafeBufferPointer { fingerprint($0) }
    }

    /// The length and the first and last eight bytes of a name, each byte with 0x20 set: that maps
    /// `A`–`Z` to `a`–`z` and every other byte the same on both sides of an ASCII case-insensitive
    /// comparison, so names equal that way share a fingerprint (different names may too: a lookup
    /// compares the names where fingerprints match).
    static func fingerprint(_ u: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let n = u.count
        guard n > 0, let base = u.baseAddress else { return 0 }
        let fold: UInt64 = 0x2020_2020_2020_2020
        var words: UInt64
        if n >= 8 {
            let raw = UnsafeRawPointer(base)
            let first = raw.loadUnaligned(as: UInt64.self) | fold
            let last = raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) | fold
            words = first ^ (last << 7 | last >> 57)
        } else {
            words = 0
            for i in 0..<n { words |= UInt64(u[i] | 0x20) << UInt64(8 * i) }
        }
        return words ^ UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15
    }
}
