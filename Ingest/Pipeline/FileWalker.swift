import Foundation

/// Expands the paths given to `vidsearch index` into video files.
public enum FileWalker {
    /// Extensions taken from folders by default (files named directly are always taken).
    public static let videoExtensions: Set<String> = [
        "mp4", "m4v", "mov", "mkv", "webm", "avi", "mpg", "mpeg", "m2v", "ts", "m2ts", "mts",
        "wmv", "asf", "flv", "3gp", "3g2", "ogv", "mxf", "dv", "vob", "y4m",
    ]

    /// Absolute paths of the files under `paths` (folders recursively, hidden entries skipped),
    /// sorted; paths that do not exist come back in `missing`.
    public static func expand(_ paths: [String], extensions: Set<String> = videoExtensions) -> (files: [String], missing: [String]) {
        var files: [String] = [], missing: [String] = []
        let fm = FileManager.default
        for path in paths {
            let url = URL(fileURLWithPath: path).standardizedFileURL
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                missing.append(path)
                continue
            }
            if !isDirectory.boolValue {
                files.append(url.path)
                continue
            }
            guard let walker = fm.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey],
                                             options: [.skipsHiddenFiles]) else { continue }
            for case let file as URL in walker {
                guard extensions.contains(file.pathExtension.lowercased()) else { continue }
                if (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                    files.append(file.standardizedFileURL.path)
                }
            }
        }
        var seen = Set<String>()
        return (files.sorted().filter { seen.insert($0).inserted }, missing)
    }
}
