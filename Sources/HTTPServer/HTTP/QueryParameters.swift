/// The parameters of a query string, percent-decoded, with `+` read as a space.
public struct QueryParameters: Sendable {
    private var pairs: [(name: String, value: String)]
    /// The first parameter whose name or value decodes to a NUL byte (`%00`), which no handler should see:
    /// libpq would cut the text there. The router answers such a request 400.
    public private(set) var nameWithNUL: String?

    /// Parses `a=1&b=two%20words&flag`; a name without `=` has the empty value.
    public init(parsing rawQuery: String) {
        pairs = []
        nameWithNUL = nil
        guard !rawQuery.isEmpty else { return }
        var query = rawQuery
        // Bytes, not Characters: a query is ASCII on the wire, and grapheme breaking on every request costs.
        query.withUTF8 { q in
            var start = 0
            while start <= q.count {
                var end = start
                var eq = -1
                var escaped = false
                while end < q.count, q[end] != 0x26 {
                    let b = q[end]
                    if b == 0x3D, eq < 0 { eq = end }
                    if b == 0x25 { escaped = true }
                    end += 1
                }
                if end > start {
                    let nameEnd = eq < 0 ? end : eq
                    let name = PercentDecoding.decode(UnsafeBufferPointer(rebasing: q[start..<nameEnd]), plusIsSpace: true)
                    let value = eq < 0 ? "" : PercentDecoding.decode(UnsafeBufferPointer(rebasing: q[(eq + 1)..<end]), plusIsSpace: true)
                    // A NUL can only come from an escape (the parser refuses raw control bytes in the target).
                    if nameWithNUL == nil, escaped, name.utf8.contains(0) || value.utf8.contains(0) {
                        nameWithNUL = name.utf8.contains(0) ? "query" : name
                    }
                    pairs.append((name, value))
                }
                start = end + 1
            }
        }
    }

    /// The first value of `name`.
    public subscript(name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    /// Every value of `name`, in order.
    public func all(_ name: String) -> [String] {
        pairs.filter { $0.name == name }.map(\.value)
    }

    /// The distinct names, in order of first appearance.
    public var names: [String] {
        var seen = Set<String>()
        return pairs.compactMap { seen.insert($0.name).inserted ? $0.name : nil }
    }
}
