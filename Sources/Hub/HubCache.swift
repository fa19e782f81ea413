import Foundation

/// Checkpoints already in the Hugging Face cache, named as on the hub: `ORG/NAME`, or
/// `ORG/NAME@REVISION` (a branch, a tag, or a commit). The cache is the one Python's
/// huggingface_hub fills (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else ~/.cache/huggingface/hub):
/// `models--ORG--NAME/refs/REVISION` holds the commit and `snapshots/COMMIT/` the files, so a model
/// that `hf download` or transformers fetched is used as it is, offline.
public enum HubCache {
    /// The cache folder, from the environment as huggingface_hub reads it.
    public static func root(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let hub = environment["HF_HUB_CACHE"], !hub.isEmpty { return URL(fileURLWithPath: hub) }
        if let home = environment["HF_HOME"], !home.isEmpty { return URL(fileURLWithPath: home).appendingPathComponent("hub") }
        let user = environment["HOME"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser
        return user.appendingPathComponent(".cache/huggingface/hub")
    }

    /// `ORG/NAME[@REVISION]` split, or nil for anything that is not a repository id (a path).
    public static func repository(_ value: String) -> (id: String, revision: String)? {
        // Empty pieces kept: "" (no model named anywhere) is one empty piece, not none to index.
        let parts = value.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let id = parts[0], revision = parts.count > 1 ? parts[1] : "main"
        let names = id.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        guard names.count == 2, !revision.isEmpty, revision.count < 256, !revision.contains(".."),
            names.allSatisfy({
                !$0.isEmpty && $0 != "." && $0 != ".." && !$0.hasPrefix(".")
                    && $0.unicodeScalars.allSatisfy(allowed.contains)
            })
        else { return nil }
        return (id, revision)
    }

    /// The snapshot folder of a cached repository at a revision, if it is there.
    public static func snapshot(_ id: String, revision: String, root: URL = root()) -> URL? {
        let repo = root.appendingPathComponent("models--" + id.replacingOccurrences(of: "/", with: "--"))
        let snapshots = repo.appendingPathComponent("snapshots")
        let isCommit = revision.count == 40 && revision.allSatisfy(\.isHexDigit)
        var commit = isCommit ? revision : nil
        if commit == nil, let ref = try? String(contentsOf: repo.appendingPathComponent("refs").appendingPathComponent(revision), encoding: .utf8) {
            commit = ref.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let commit, !commit.isEmpty, !commit.contains("/") else { return nil }
        let folder = snapshots.appendingPathComponent(commit)
        return FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path) ? folder : nil
    }
}
