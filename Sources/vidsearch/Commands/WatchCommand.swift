import ArgumentParser
import CommandSupport
import Foundation
import Ingest
import VideoIndex

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Keep the index in step with folders: index new files as they arrive, drop deleted ones.",
        discussion: """
            A new or changed file is indexed once it has stopped growing (size and modification \
            time unchanged for --settle seconds); a deleted one is removed; a moved one keeps its \
            segments. Uses inotify on Linux, polling elsewhere. Runs until stopped (Ctrl-C); every \
            video is committed on its own, so stopping loses nothing finished, and a file cut off \
            mid-encode is picked up again next time. The watcher is the index's one writer: a \
            `vidsearch index` meanwhile is refused (the index is locked).

            Exit status: 2 usage error, 3 index or model error (for instance: locked by another writer).

            Examples:
              vidsearch watch ~/footage
              vidsearch watch /mnt/cam1 /mnt/cam2 --index /data/index --settle 10 --json
            """
    )

    @OptionGroup var options: IndexOptions

    @OptionGroup var products: PrecisionOption

    @Argument(help: "Folders to watch (recursively).")
    var folders: [String]

    @Option(help: "Seconds a file's size and mtime must stay unchanged before it is indexed.")
    var settle: Double = 3

    @Option(help: "Extensions taken, comma separated.")
    var ext: String?

    @Flag(help: "One JSON line per event (file, removed, waiting, offline, online, committed) on standard output.")
    var json = false

    /// Set by `serve --watch` for its child: stop when the server is gone (never outlive it
    /// holding the index's lock).
    @Flag(help: .hidden)
    var exitWithParent = false

    func validate() throws {
        try Limits.check(settle, "--settle", 0...3600)
        for folder in folders {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError("\(folder): not a folder")
            }
        }
    }

    func run() throws {
        products.apply()
        let watcher = try withIndexOrModel { () -> FolderWatcher in
            let loaded = try LoadedModel(options.model)
            let store = try IndexStore(writingAt: options.indexDirectory, model: loaded.identity)
            let pipeline = try IngestPipeline(model: loaded.model, preprocessor: try loaded.preprocessor(), options: .init())
            var watch = FolderWatcher.Options(folders: folders)
            watch.settle = settle
            if let ext { watch.extensions = Set(ext.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }) }
            return FolderWatcher(run: IndexRun(store: store, pipeline: pipeline), options: watch)
        }
        say(
            .started(folders: watcher.options.folders, inotify: watcher.usesInotify),
            "watching \(watcher.options.folders.joined(separator: ", ")) (\(watcher.usesInotify ? "inotify" : "polling")); Ctrl-C stops")
        try withIndexOrModel {
            let parent = getppid()
            try watcher.watch(stop: { exitWithParent && getppid() != parent }) { event in
                switch event {
                case .waiting(let files): say(.waiting(files: files), nil)
                case .encoding(let path, let seconds): say(.encoding(path: path, duration: seconds), nil)
                case .file(let r):
                    say(
                        .file(FileEvent(r, event: "file")),
                        r.outcome == .skipped && r.cues == nil ? nil : "\(r.outcome.rawValue) \(r.path)" + (r.detail.map { ": \($0)" } ?? ""))
                case .removed(let path): say(.removed(path: path), "removed \(path)")
                case .offline(let folder, let reason):
                    say(.offline(folder: folder, reason: reason), "offline \(folder): \(reason); its videos stay in the index until it is back")
                case .online(let folder): say(.online(folder: folder), "online again \(folder)")
                case .committed: say(.committed, nil)
                }
            }
        }
    }

    private func say(_ event: WatchEvent, _ line: String?) {
        if json { Output.line(event) } else if let line { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
}
