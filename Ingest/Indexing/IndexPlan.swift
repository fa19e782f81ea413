import Foundation
import VideoIndex

/// What one `vidsearch index` run would do with one file, decided from the index alone (no
/// model, no decoding): skip it (same path, size and mtime), move a known video to it (same
/// content, the old path gone), encode it (new or changed), or fail it (unreadable). Shared by
/// the run itself and by `--dry-run`, which cluster drivers use to hand out only the work left.
public enum IndexPlan {
    public enum Decision {
        /// `known`: the record that makes it unchanged (its dates may still need reading).
        case skip(IndexRun.FileResult, known: VideoRecord)
        case move(twin: VideoRecord, size: UInt64, mtime: Double)
        case encode(size: UInt64, mtime: Double, fingerprint: String, replacing: Bool)
        case fail(IndexRun.FileResult)
    }

    /// `store` is nil when the index does not exist yet: every readable file is then new.
    /// `detectCuts`: the run looks for cuts, so a video indexed without them is encoded again
    /// (its segments may straddle cuts).
    public static func decide(path: String, store: IndexStore?, detectCuts: Bool = true) throws -> Decision {
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: path) } catch {
            return .fail(
                IndexRun.FileResult(
                    path: path, outcome: .failed,
                    detail: "cannot read (\((error as NSError).localizedDescription))"))
        }
        let size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let known = try store?.video(path: path)
        if let known, known.status == .indexed, known.size == size, known.mtime == mtime, !detectCuts || known.cuts != nil {
            return .skip(
                IndexRun.FileResult(
                    path: path, outcome: .skipped, segments: known.segmentIds.count,
                    duration: known.duration, detail: "unchanged"), known: known)
        }
        let fingerprint: String
        do { fingerprint = try Fingerprint.file(path) } catch {
            return .fail(IndexRun.FileResult(path: path, outcome: .failed, detail: "\(error)"))
        }
        if let twin = try store?.video(fingerprint: fingerprint), twin.status == .indexed, twin.path != path,
            !FileManager.default.fileExists(atPath: twin.path)
        {
            return .move(twin: twin, size: size, mtime: mtime)
        }
        return .encode(size: size, mtime: mtime, fingerprint: fingerprint, replacing: known != nil)
    }
}
