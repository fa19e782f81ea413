import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Whether a watched folder can be trusted to say what is on it. A folder that is missing, not
/// a folder, unreadable, or no longer on the device it was on when first seen (the empty mount
/// point an unmounted disk leaves) is offline: its files are not there to be seen, which is not
/// the same as deleted, so nothing under it is removed from the index until it is back.
public enum WatchedRoot: Equatable {
    case online(device: UInt64)
    case offline(reason: String)

    /// The state of `path`; `device` is the device it was on when last online, if known.
    public static func state(of path: String, device known: UInt64?) -> WatchedRoot {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return .offline(reason: errno == ENOENT ? "it is missing (an unmounted disk or share?)" : String(cString: strerror(errno)))
        }
        let device = UInt64(info.st_dev)
        if (info.st_mode & S_IFMT) != S_IFDIR {
            // A file watched by itself: its folder says whether its absence would mean anything.
            return (info.st_mode & S_IFMT) == S_IFREG ? .online(device: device) : .offline(reason: "it is not a folder or a file")
        }
        guard let handle = opendir(path) else { return .offline(reason: "it cannot be read: \(String(cString: strerror(errno)))") }
        closedir(handle)
        if let known, known != device {
            return .offline(reason: "it is now on another device than when it was first seen (an unmounted disk or share?)")
        }
        return .online(device: device)
    }

    /// A watched root whose parent folder holds it (a single watched file that was deleted has a
    /// present parent: that is a deletion; a missing parent is not).
    public static func stateOfMissingFile(_ path: String) -> WatchedRoot {
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if case .online(let device) = state(of: parent, device: nil) { return .online(device: device) }
        return .offline(reason: "its folder \(parent) is missing or unreadable")
    }
}
