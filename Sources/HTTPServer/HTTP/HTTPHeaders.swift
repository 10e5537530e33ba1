/// Ordered header fields; names compare case-insensitively (ASCII).
public struct HTTPHeaders: Sendable, Sequence {
    public typealias Element = (name: String, value: String)

    /// Each with its name's fingerprint: a lookup reads the strings of the fields whose names may match only.
    private(set) var fields: [HeaderField]

    /// An empty set of fields.
    public init() {
        fields = []
    }

    /// Fields in the given order (with room for the few that middleware adds on the way out).
    public init(_ pairs: [(String, String)]) {
        fields = []
        fields.reserveCapacity(pairs.count + 6)
        for (name, value) in pairs { fields.append(HeaderField(name: name, value: value)) }
    }

    init(parsed: [HeaderField]) {
        fields = parsed
    }

    /// Makes room for `n` fields in all.
    public mutating func reserveCapacity(_ n: Int) {
        fields.reserveCapacity(n)
    }

    /// The index of the first field called `name` (fingerprint `print`) at or after `start`, if any.
    private func index(of name: String, print: UInt64, from start: Int = 0) -> Int? {
        var i = start
        while i < fields.count {
            if fields[i].print == print, Self.sameName(fields[i].name, name) { return i }
            i += 1
        }
        return nil
    }

    /// The first value of `name`, if any.
    public subscript(name: String) -> String? {
        index(of: name, print: HeaderField.fingerprint(name)).map { fields[$0].value }
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        let print = HeaderField.fingerprint(name)
        var out: [String] = []
        var next = index(of: name, print: print)
        while let i = next {
            out.append(fields[i].value)
            next = index(of: name, print: print, from: i + 1)
        }
        return out
    }

    /// Appends a field.
    public mutating func add(_ name: String, _ value: String) {
        fields.append(HeaderField(name: name, value: value))
    }

    /// Replaces every value of `name` with one value, keeping the position of the first.
    public mutating func set(_ name: String, _ value: String) {
        let print = HeaderField.fingerprint(name)
        guard let first = index(of: name, print: print) else {
            fields.append(HeaderField(name: name, value: value, print: print))
            return
        }
        fields[first] = HeaderField(name: name, value: value, print: print)
        removeAll(name, print: print, from: first + 1)
    }

    /// Removes every field called `name`.
    public mutating func remove(_ name: String) {
        removeAll(name, print: HeaderField.fingerprint(name), from: 0)
    }

    /// Removes the fields called `name` from `start` on (the array is not touched when there are none).
    private mutating func removeAll(_ name: String, print: UInt64, from start: Int) {
        var next = index(of: name, print: print, from: start)
        while let i = next {
            fields.remove(at: i)
            next = index(of: name, print: print, from: i)
        }
    }

    /// Whether a field called `name` is present.
    public func contains(_ name: String) -> Bool {
        index(of: name, print: HeaderField.fingerprint(name)) != nil
    }

    /// The number of fields.
    public var count: Int { fields.count }

    public func makeIterator() -> Iterator {
        Iterator(base: fields.makeIterator())
    }

    /// The fields in order, as (name, value).
    public struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[HeaderField]>

        public mutating func next() -> Element? {
            base.next().map { (name: $0.name, value: $0.value) }
        }
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
