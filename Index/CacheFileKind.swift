import Foundation
import Glibc

/// One kind of derived cache file, named by the generation of the index it reflects:
/// `<prefix><generation><suffix>` (vectors-g12.faiss, text-g12.sqlite), with companion files that
/// swap the suffix (its `.stamp`, the vectors' `.tombstones`). VectorCache and TextCache each
/// have one; how a file is put in place and how old ones go is written once, here.
struct CacheFileKind {
    let prefix: String
    let suffix: String
    /// Suffixes of the files that belong to a generation's file (its stamp, its tombstones).
    let companions: [String]
    /// Prefixes of the temporary files a writer stages under, each named `<prefix><pid>`.
    let temporaries: [String]
    /// The temporary name the stamp is staged under (one of `temporaries`).
    let stampStaging: String

    func url(in directory: URL, generation: UInt64, suffix other: String? = nil) -> URL {
        directory.appendingPathComponent("\(prefix)\(generation)\(other ?? suffix)")
    }

    /// Where the stamp of `generation`'s file is.
    func stampURL(in directory: URL, generation: UInt64) -> URL {
        url(in: directory, generation: generation, suffix: ".stamp")
    }

    /// The generation a file of this kind (not a companion) is named by.
    func generation(ofFile name: String) -> UInt64? {
        guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
        return UInt64(name.dropFirst(prefix.count).dropLast(suffix.count))
    }

    /// The newest file of this kind in `directory` and its generation ((nil, 0) when none).
    func newest(in directory: URL) -> (URL?, UInt64) {
        var best: (URL?, UInt64) = (nil, 0)
        for file in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] {
            if let g = generation(ofFile: file), best.0 == nil || g > best.1 { best = (directory.appendingPathComponent(file), g) }
        }
        return best
    }

    /// Puts a cache written at `temporary` in place as `generation`: synced, its stamp first (a
    /// file in place always has the stamp that describes it), then the file by rename, then the
    /// folder synced. Then older generations' files and companions go, and so do the temporary
    /// files of writers that died before their rename (only the writer, which holds the lock,
    /// saves: none of them is live).
    func publish(_ temporary: URL, generation target: UInt64, indexId: String?, in directory: URL) throws {
        try Self.fsync(temporary.path)
        try CacheStamp.write(
            describing: temporary, index: indexId, generation: target,
            to: stampURL(in: directory, generation: target),
            staging: directory.appendingPathComponent("\(stampStaging)\(getpid())"))
        let final = url(in: directory, generation: target)
        guard rename(temporary.path, final.path) == 0 else {
            throw IndexError.unreadable(path: final.path, reason: "rename: \(String(cString: strerror(errno)))")
        }
        try Self.fsync(directory.path)
        for file in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] {
            let g =
                generation(ofFile: file)
                ?? companions.lazy.compactMap { companion in
                    file.hasSuffix(companion) ? generation(ofFile: String(file.dropLast(companion.count)) + suffix) : nil
                }.first
            let stray = temporaries.contains { file.hasPrefix($0) } && !file.hasSuffix("-\(getpid())")
            if (g.map { $0 < target } ?? false) || stray {
                try? FileManager.default.removeItem(at: directory.appendingPathComponent(file))
            }
        }
    }

    /// Writes a file's (or a folder's) data to the disk before what depends on it.
    static func fsync(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY)
        guard fd >= 0 else { throw IndexError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        _ = Foundation.fsync(fd)
    }
}
