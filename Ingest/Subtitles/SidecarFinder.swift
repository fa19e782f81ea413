import Foundation

/// The subtitle and transcript files beside a video that share its base name: `video.srt`,
/// `video.en.vtt`, `video.de.srt`, `video.pt-BR.srt` (yt-dlp's `--write-subs` names), and
/// Whisper's `video.json`, `video.srt`, `video.vtt`. The part between the base name and the
/// extension is the language when it reads as a language tag.
enum SidecarFinder {
    struct Sidecar: Equatable {
        let path: String
        let name: String
        let format: String
        let language: String?
        let size: UInt64
        let mtime: Double
    }

    static let formats = ["srt": "subrip", "vtt": "webvtt", "json": "whisper-json"]

    static func sidecars(of video: String) -> [Sidecar] {
        let url = URL(fileURLWithPath: video)
        let folder = url.deletingLastPathComponent()
        let base = url.deletingPathExtension().lastPathComponent
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        var found: [Sidecar] = []
        for name in names.sorted() where name.hasPrefix(base + ".") {
            let ext = (name as NSString).pathExtension.lowercased()
            guard let format = formats[ext] else { continue }
            let middle = String(name.dropFirst(base.count + 1).dropLast(ext.count + 1))
            let language: String?
            if middle.isEmpty { language = nil } else if isLanguageTag(middle) { language = middle } else { continue }
            let path = folder.appendingPathComponent(name).path
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                (attributes[.type] as? FileAttributeType) == .typeRegular
            else { continue }
            found.append(
                Sidecar(
                    path: path, name: name, format: format, language: language,
                    size: (attributes[.size] as? NSNumber)?.uint64Value ?? 0,
                    mtime: (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0))
        }
        return found
    }

    /// For every video base name in `folder`, a string that changes when any of its sidecars is
    /// added, removed or edited (names, sizes, modification times): what the folder watcher
    /// compares, listing each folder once however many videos it holds.
    static func signatures(folder: String) -> [String: String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [:] }
        var signatures: [String: String] = [:]
        for name in names.sorted() {
            let ext = (name as NSString).pathExtension.lowercased()
            guard formats[ext] != nil else { continue }
            let stem = String(name.dropLast(ext.count + 1))
            var bases = [stem]
            if let dot = stem.lastIndex(of: "."), isLanguageTag(String(stem[stem.index(after: dot)...])) { bases.append(String(stem[..<dot])) }
            var info = stat()
            guard stat(folder + "/" + name, &info) == 0 else { continue }
            let stamp = "\(name):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec);"
            for base in bases { signatures[base, default: ""] += stamp }
        }
        return signatures
    }

    /// `en`, `deu`, `pt-BR`, `zh-Hans`, `en-orig`: letters, then dash-separated letters or digits.
    static func isLanguageTag(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter }) else { return false }
        return parts.dropFirst().allSatisfy { (1...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
    }
}
