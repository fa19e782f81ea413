import Foundation

/// One byte range of a `Range: bytes=...` request header (RFC 9110 14.1.2), resolved against
/// the file's size. Only the first range of a list is served (browsers ask for one).
enum ByteRange {
    enum Outcome: Equatable {
        /// No range, another unit, or one that is not valid syntax (RFC 9110 14.2: ignored).
        case whole
        case part(ClosedRange<Int>)
        /// Well formed but outside the file: 416 with `Content-Range: bytes */size`.
        case unsatisfiable
    }

    static func resolve(_ header: String?, size: Int) -> Outcome {
        guard let header else { return .whole }
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.lowercased().hasPrefix("bytes=") else { return .whole }  // another unit: ignore it
        let first = text.dropFirst(6).split(separator: ",", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let parts = first.trimmingCharacters(in: .whitespaces).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .whole }
        let start = parts[0].trimmingCharacters(in: .whitespaces), end = parts[1].trimmingCharacters(in: .whitespaces)
        let digits = { (s: String) in s.allSatisfy { $0.isASCII && $0.isNumber } }
        guard digits(start), digits(end), !(start.isEmpty && end.isEmpty) else { return .whole }
        // Numbers past Int are still valid syntax: as large as Int goes.
        let number = { (s: String) in Int(s) ?? Int.max }
        if start.isEmpty {
            // A suffix: the last N bytes (none: unsatisfiable).
            let count = number(end)
            guard count > 0, size > 0 else { return .unsatisfiable }
            return .part(max(0, size - count)...(size - 1))
        }
        let from = number(start)
        if !end.isEmpty && number(end) < from { return .whole }  // last before first: invalid, ignored
        guard from < size else { return .unsatisfiable }
        guard !end.isEmpty else { return .part(from...(size - 1)) }
        return .part(from...min(number(end), size - 1))
    }
}
