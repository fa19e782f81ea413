import Foundation

/// Expands the paths given to `vidsearch index` into video files.
///
/// Only regular files are taken, checked with stat before anything opens them (a FIFO would
/// block the run while it holds the writer lock; a device or socket is no video). A folder the
/// user names is walked even when the name is a link to it; inside it, links to files are taken
/// and links to folders are not followed (no loops, no leaving the tree). A name that is not
/// valid UTF-8 cannot be given to FFmpeg or stored as a path here: it is reported, never
/// skipped in silence.
public enum FileWalker {
    /// Extensions taken from folders by default (files named directly are always taken).
    public static let videoExtensions: Set<String> = [
        "mp4", "m4v", "mov", "mkv", "webm", "avi", "mpg", "mpeg", "m2v", "ts", "m2ts", "mts",
        "wmv", "asf", "flv", "3gp", "3g2", "ogv", "mxf", "dv", "vob", "y4m",
    ]

    /// A path that was given or found but cannot be indexed, with the reason.
    public struct Rejected: Equatable {
        public let path: String
        public let reason: String
    }

    /// Absolute paths of the video files under `paths` (folders recursively, hidden entries
    /// skipped), sorted and without repeats; what cannot be indexed comes back in `rejected`.
    public static func expand(_ paths: [String], extensions: Set<String> = videoExtensions) -> (files: [String], rejected: [Rejected]) {
        var files: [String] = [], rejected: [Rejected] = []
        for path in paths {
            let url = URL(fileURLWithPath: path).standardizedFileURL
            var info = stat()
            guard stat(url.path, &info) == 0 else {
                let invalid = path.unicodeScalars.contains("\u{FFFD}")
                let reason =
                    errno == ENOENT
                    ? (invalid ? "no such file or folder (the name given is not valid UTF-8)" : "no such file or folder")
                    : String(cString: strerror(errno))
                rejected.append(Rejected(path: path, reason: reason))
                continue
            }
            switch info.st_mode & S_IFMT {
            case S_IFREG: files.append(url.path)
            case S_IFDIR: walk(url.path, extensions: extensions, files: &files, rejected: &rejected)
            default: rejected.append(Rejected(path: url.path, reason: "not a regular file (\(kind(info.st_mode)))"))
            }
        }
        var seen = Set<String>()
        return (files.sorted().filter { seen.insert($0).inserted }, rejected)
    }

    private static func walk(_ folder: String, extensions: Set<String>, files: inout [String], rejected: inout [Rejected]) {
        guard let dir = opendir(folder) else {
            rejected.append(Rejected(path: folder, reason: "cannot list the folder (\(String(cString: strerror(errno))))"))
            return
        }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while let entry = readdir(dir) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if bytes.first == UInt8(ascii: ".") { continue }  // hidden, and . and ..
            names.append(bytes)
        }
        for bytes in names.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            guard let name = String(validating: bytes, as: UTF8.self) else {
                let shown = folder + "/" + escaped(bytes)
                if extensions.contains(where: { bytes.lowercasedSuffix(matches: "." + $0) }) || isFolder(folder, bytes) {
                    rejected.append(Rejected(path: shown, reason: "the file name is not valid UTF-8; rename it to index it"))
                }
                continue
            }
            let path = folder + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            var mode = info.st_mode & S_IFMT
            if mode == S_IFLNK {
                guard stat(path, &info) == 0 else { continue }  // a dangling link
                mode = info.st_mode & S_IFMT
                if mode == S_IFDIR { continue }  // links to folders are not followed inside a walk
            }
            if mode == S_IFDIR {
                walk(path, extensions: extensions, files: &files, rejected: &rejected)
            } else if extensions.contains((name as NSString).pathExtension.lowercased()) {
                if mode == S_IFREG {
                    files.append(path)
                } else {
                    rejected.append(Rejected(path: path, reason: "not a regular file (\(kind(info.st_mode)))"))
                }
            }
        }
    }

    private static func isFolder(_ folder: String, _ name: [UInt8]) -> Bool {
        var info = stat()
        let path = Array(folder.utf8) + [UInt8(ascii: "/")] + name + [0]
        return path.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { stat($0, &info) == 0 }
        } && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// A name's bytes with the ones that are not valid UTF-8 shown as \xNN.
    static func escaped(_ bytes: [UInt8]) -> String {
        var out = "", i = 0
        while i < bytes.count {
            var length = 1
            for n in [4, 3, 2, 1] where i + n <= bytes.count {
                if String(validating: bytes[i..<(i + n)], as: UTF8.self) != nil {
                    length = n
                    break
                }
            }
            if let text = String(validating: bytes[i..<(i + length)], as: UTF8.self), length > 1 || bytes[i] < 0x80 {
                out += text
            } else {
                out += String(format: "\\x%02X", bytes[i])
            }
            i += length
        }
        return out
    }

    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFDIR: return "a folder"
        default: return "not a file"
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate func lowercasedSuffix(matches suffix: String) -> Bool {
        let s = Array(suffix.utf8)
        guard count >= s.count else { return false }
        return zip(self[(count - s.count)...], s).allSatisfy { (a, b) in (a >= 65 && a <= 90 ? a + 32 : a) == b }
    }
}
