/// The parameters of a query string, percent-decoded, with `+` read as a space.
public struct QueryParameters: Sendable {
    private var pairs: [(name: String, value: String)]

    /// Parses `a=1&b=two%20words&flag`; a name without `=` has the empty value.
    public init(parsing rawQuery: String) {
        pairs = []
        guard !rawQuery.isEmpty else { return }
        for part in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            if let eq = part.firstIndex(of: "=") {
                pairs.append((PercentDecoding.decode(part[..<eq], plusIsSpace: true),
                              PercentDecoding.decode(part[part.index(after: eq)...], plusIsSpace: true)))
            } else {
                pairs.append((PercentDecoding.decode(part, plusIsSpace: true), ""))
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
