import Foundation

/// One byte range of a `Range: bytes=...` request header (RFC 9110 14.1.2), resolved against
/// the file's size. Only the first range of a list is served (browsers ask for one).
enum ByteRange {
    enum Outcome: Equatable {
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
        guard parts.count == 2 else { return .unsatisfiable }
        let start = parts[0].trimmingCharacters(in: .whitespaces), end = parts[1].trimmingCharacters(in: .whitespaces)
        guard start.allSatisfy(\.isNumber), end.allSatisfy(\.isNumber), !(start.isEmpty && end.isEmpty) else { return .unsatisfiable }
        if start.isEmpty {
            // A suffix: the last N bytes.
            guard let count = Int(end), count > 0, size > 0 else { return .unsatisfiable }
            return .part(max(0, size - count)...(size - 1))
        }
        guard let from = Int(start), from < size else { return .unsatisfiable }
        guard !end.isEmpty else { return .part(from...(size - 1)) }
        guard let to = Int(end), to >= from else { return .unsatisfiable }
        return .part(from...min(to, size - 1))
    }
}
