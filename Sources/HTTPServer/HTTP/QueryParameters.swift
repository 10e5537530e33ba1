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
        for part in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let pair: (name: String, value: String)
            if let eq = part.firstIndex(of: "=") {
                pair = (PercentDecoding.decode(part[..<eq], plusIsSpace: true),
                        PercentDecoding.decode(part[part.index(after: eq)...], plusIsSpace: true))
            } else {
                pair = (PercentDecoding.decode(part, plusIsSpace: true), "")
            }
            // A NUL can only come from an escape (the parser refuses raw control bytes in the target).
            if nameWithNUL == nil, part.utf8.contains(0x25), pair.name.utf8.contains(0) || pair.value.utf8.contains(0) {
                nameWithNUL = pair.name.utf8.contains(0) ? "query" : pair.name
            }
            pairs.append(pair)
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
