import Foundation

/// A request's query string as browsers write it (application/x-www-form-urlencoded, which the
/// page's URLSearchParams writes too): `+` is a space, then %XX is a byte. Hummingbird's own
/// parameters decode %XX only, so `q=red+circle` searched for "red+circle".
struct FormQuery {
    private(set) var pairs: [(name: String, value: String)] = []

    init(_ query: String?) {
        for part in (query ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            let halves = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(halves[0]), value = halves.count > 1 ? Self.decode(halves[1]) : ""
            pairs.append((name, value))
        }
    }

    /// The first value given for `name`.
    func get(_ name: String) -> String? { pairs.first { $0.name == name }?.value }

    /// The pairs other than `name`, encoded again (the token's redirect keeps the search).
    func encoded(without name: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+")
        return pairs.filter { $0.name != name }
            .map {
                "\($0.name.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
            }
            .joined(separator: "&")
    }

    /// `+` as a space, then %XX; a malformed escape stays as it was written.
    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
