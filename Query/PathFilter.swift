import Foundation

/// Which videos a search may return, by path: a folder prefix ("/footage/2024", matching that
/// folder and everything below it) or a glob with *, ? and [...] over the whole path
/// ("*/dogs/*.mp4"; fnmatch rules, where * also crosses "/").
public struct PathFilter: Equatable {
    public let pattern: String
    private let isGlob: Bool
    private let folder: String

    public init(_ pattern: String) {
        self.pattern = pattern
        isGlob = pattern.contains(where: { "*?[".contains($0) })
        folder = pattern.hasSuffix("/") ? pattern : pattern + "/"
    }

    public func matches(_ path: String) -> Bool {
        if isGlob { return fnmatch(pattern, path, 0) == 0 }
        return path == pattern || path.hasPrefix(folder)
    }
}
