import Foundation

/// What a folder costs on disk: `vidsearch stats` shows it for the index, the benchmarks report
/// bytes per segment with it.
public enum DiskUsage {
    /// Bytes allocated on disk to the regular files under `directory` (st_blocks, so sparse space is not counted).
    public static func bytes(under directory: URL) -> Int {
        var total = 0
        let walker = FileManager.default.enumerator(atPath: directory.path)
        while let relative = walker?.nextObject() as? String {
            var info = stat()
            guard lstat(directory.appendingPathComponent(relative).path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            total += Int(info.st_blocks) * 512
        }
        return total
    }
}
