/// Ordered header fields; names compare case-insensitively (ASCII).
public struct HTTPHeaders: Sendable, Sequence {
    public typealias Element = (name: String, value: String)

    private var fields: [Element]

    /// An empty set of fields.
    public init() {
        fields = []
    }

    /// Fields in the given order (with room for the few that middleware adds on the way out).
    public init(_ pairs: [(String, String)]) {
        fields = []
        fields.reserveCapacity(pairs.count + 6)
        for (name, value) in pairs { fields.append((name: name, value: value)) }
    }

    init(parsed: [(name: String, value: String)]) {
        fields = parsed
    }

    /// Makes room for `n` fields in all.
    public mutating func reserveCapacity(_ n: Int) {
        fields.reserveCapacity(n)
    }

    /// The first value of `name`, if any.
    public subscript(name: String) -> String? {
        for field in fields where Self.sameName(field.name, name) { return field.value }
        return nil
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { Self.sameName($0.name, name) }.map(\.value)
    }

    /// Appends a field.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    /// Replaces every value of `name` with one value, keeping the position of the first.
    public mutating func set(_ name: String, _ value: String) {
        if let first = fields.firstIndex(where: { Self.sameName($0.name, name) }) {
            fields[first] = (name, value)
            var i = fields.count - 1
            while i > first {
                if Self.sameName(fields[i].name, name) { fields.remove(at: i) }
                i -= 1
            }
        } else {
            fields.append((name, value))
        }
    }

    /// Removes every field called `name`.
    public mutating func remove(_ name: String) {
        fields.removeAll { Self.sameName($0.name, name) }
    }

    /// Whether a field called `name` is present.
    public func contains(_ name: String) -> Bool {
        fields.contains { Self.sameName($0.name, name) }
    }

    /// The number of fields.
    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[Element]> {
        fields.makeIterator()
    }

    static func sameName(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        if a == b { return true }   // the usual case: the canonical spelling on both sides
        let folded = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in foldedEqual(x, y) }
        }
        return folded.flatMap { $0 } ?? foldedEqual(Array(a.utf8), Array(b.utf8))
    }

    private static func foldedEqual<C: RandomAccessCollection>(_ x: C, _ y: C) -> Bool where C.Element == UInt8, C.Index == Int {
        for i in 0..<x.count {
            let c = x[x.startIndex + i], d = y[y.startIndex + i]
            if c == d { continue }
            let lc = (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c
            let ld = (d >= 0x41 && d <= 0x5A) ? d | 0x20 : d
            if lc != ld { return false }
        }
        return true
    }
}
