import Foundation
import VideoIndex

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps an index in step with folders: a new or changed file is indexed once it has stopped
/// growing (size and mtime unchanged for `settle` seconds), a deleted one is removed, a moved
/// one keeps its segments (IndexRun's fingerprint match). It is the index's single writer.
/// A watched folder that is missing or unreadable (an unmounted disk or share) is offline, not
/// emptied: nothing under it is removed until it is back (WatchedRoot).
/// inotify (Linux) wakes it when something changes; elsewhere it polls. A crash loses nothing
/// committed, and what was in flight is picked up again on restart (its file is still new).
public final class FolderWatcher {
    public struct Options {
        public var folders: [String]
        public var extensions: Set<String> = FileWalker.videoExtensions
        public var settle = 3.0
        /// Seconds between scans when nothing wakes it (polling, or a safety rescan with inotify).
        public var interval = 2.0
        public init(folders: [String]) { self.folders = folders.map { URL(fileURLWithPath: $0).standardizedFileURL.path } }
    }

    public enum Event {
        case waiting(files: Int)
        case encoding(path: String, seconds: Double)
        case file(IndexRun.FileResult)
        case removed(path: String)
        /// A watched folder went offline (missing, unreadable, unmounted): its videos stay.
        case offline(folder: String, reason: String)
        /// It is back: removals under it resume.
        case online(folder: String)
        /// A round that changed the index ended (the vector cache is saved).
        case committed
    }

    public let run: IndexRun
    public let options: Options
    private var observed: [String: (size: UInt64, mtime: Double, text: String, since: Double)] = [:]
    /// What each file was when last handed to the run: its size, mtime and sidecars' signature.
    private var handled: [String: (size: UInt64, mtime: Double, text: String)] = [:]
    private var gone: [String: Double] = [:]  // indexed paths missing from disk, and since when
    /// Each root's device when last online, whether it was a single file, and the offline ones' reasons.
    private var devices: [String: UInt64] = [:]
    private var fileRoots: Set<String> = []
    private var offline: [String: String] = [:]
    private var notify: Int32 = -1

    public init(run: IndexRun, options: Options) {
        self.run = run
        self.options = options
        #if canImport(Glibc)
            notify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        #endif
    }

    deinit { if notify >= 0 { close(notify) } }

    public var usesInotify: Bool { notify >= 0 }

    /// Scans until `stop` says so; `events` sees every change on this thread.
    public func watch(stop: () -> Bool, events: (Event) -> Void) throws {
        var lastScan = 0.0
        while !stop() {
            let woken = wait(seconds: pending() == 0 ? options.interval : 0.5)
            let due = Date().timeIntervalSince1970 - lastScan >= (usesInotify ? 30 : options.interval)
            if woken || due || pending() > 0 {
                lastScan = Date().timeIntervalSince1970
                try scan(events: events)
            }
        }
    }

    /// One round: index what is new and settled, remove what is gone. Public for tests.
    public func scan(events: (Event) -> Void) throws {
        let online = checkRoots(events: events)
        watchFolders()
        let now = Date().timeIntervalSince1970
        let (files, _) = FileWalker.expand(online, extensions: options.extensions)
        var present: [String: (UInt64, Double)] = [:]
        // A subtitle file beside a video changed: the video is handed to the run, which reads its text again.
        var sidecars: [String: [String: String]] = [:]
        for path in files {
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            let size = UInt64(info.st_size), mtime = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            let url = URL(fileURLWithPath: path), folder = url.deletingLastPathComponent().path
            if sidecars[folder] == nil { sidecars[folder] = SidecarFinder.signatures(folder: folder) }
            let text = sidecars[folder]?[url.deletingPathExtension().lastPathComponent] ?? ""
            present[path] = (size, mtime)
            if let seen = observed[path], seen.size == size, seen.mtime == mtime, seen.text == text { continue }
            observed[path] = (size, mtime, text, now)  // new, or still growing: its clock starts again
        }
        for path in observed.keys where present[path] == nil { observed[path] = nil }

        let ready = observed.filter { path, seen in
            now - seen.since >= options.settle && (handled[path].map { $0 != (seen.size, seen.mtime, seen.text) } ?? true)
        }.keys.sorted()
        let waiting = pending() - ready.count  // seen, not yet settled
        if waiting > 0 { events(.waiting(files: waiting)) }

        var changed = false
        if !ready.isEmpty {
            let results = try run.run(files: ready) { event in
                switch event {
                case .file(let result): events(.file(result))
                case .started(let path, _, let duration): events(.encoding(path: path, seconds: duration))
                case .encoded: break
                }
            }
            for r in results {
                if r.outcome != .skipped || r.cues != nil { changed = true }  // encoded, moved, or its text read again
                if let seen = observed[r.path] { handled[r.path] = (seen.size, seen.mtime, seen.text) }
            }
        }
        // Gone from disk, under a watched folder that is online: removed. Not while a new file
        // is still settling, for it may be this one moved (it then keeps its segments once it
        // settles), unless the removal has waited a minute (a camera that never stops writing).
        let settling = pending() > 0
        for video in try run.store.videos()
        where present[video.path] == nil && root(of: video.path).map({ offline[$0] == nil }) == true
            && !FileManager.default.fileExists(atPath: video.path)
        {
            let noticed = gone[video.path] ?? now
            gone[video.path] = noticed
            if settling && now - noticed < 60 { continue }
            if try run.store.remove(path: video.path) {
                changed = true
                handled[video.path] = nil
                events(.removed(path: video.path))
            }
            gone[video.path] = nil
        }
        for path in gone.keys where present[path] != nil || FileManager.default.fileExists(atPath: path) { gone[path] = nil }
        if changed {
            try IndexCaches.save(run.store)
            events(.committed)
        }
    }

    private func pending() -> Int {
        observed.filter { path, seen in handled[path].map { $0 != (seen.size, seen.mtime, seen.text) } ?? true }.count
    }

    /// The watched root a path is under: the deepest, so that a disk mounted inside a watched
    /// folder and watched itself answers for its own files.
    private func root(of path: String) -> String? {
        options.folders.filter { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }.max { $0.count < $1.count }
    }

    /// Each root's state now, with an event when one goes offline or comes back; the online ones.
    private func checkRoots(events: (Event) -> Void) -> [String] {
        var online: [String] = []
        for root in options.folders {
            var state = WatchedRoot.state(of: root, device: devices[root])
            if case .offline = state, fileRoots.contains(root), !FileManager.default.fileExists(atPath: root) {
                state = WatchedRoot.stateOfMissingFile(root)  // a watched file deleted from a present folder
            }
            switch state {
            case .online(let device):
                if devices[root] == nil {
                    devices[root] = device
                    var isFolder: ObjCBool = false
                    if FileManager.default.fileExists(atPath: root, isDirectory: &isFolder), !isFolder.boolValue { fileRoots.insert(root) }
                }
                if offline.removeValue(forKey: root) != nil { events(.online(folder: root)) }
                online.append(root)
            case .offline(let reason):
                if offline[root] != reason { events(.offline(folder: root, reason: reason)) }
                offline[root] = reason
            }
        }
        return online
    }

    /// inotify watches on every folder below the watched ones (adding one twice is harmless).
    private func watchFolders() {
        #if canImport(Glibc)
            guard notify >= 0 else { return }
            // The *_SELF and IN_UNMOUNT events wake it when a watched folder itself goes away.
            let mask = UInt32(
                IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_ATTRIB)
            for root in options.folders {
                _ = inotify_add_watch(notify, root, mask)
                guard let walker = FileManager.default.enumerator(atPath: root) else { continue }
                while let name = walker.nextObject() as? String {
                    if (walker.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory {
                        _ = inotify_add_watch(notify, root + "/" + name, mask)
                    }
                }
            }
        #endif
    }

    /// Sleeps up to `seconds`, or less when inotify reports a change (then true).
    private func wait(seconds: Double) -> Bool {
        #if canImport(Glibc)
            if notify >= 0 {
                var descriptor = pollfd(fd: notify, events: Int16(POLLIN), revents: 0)
                let ready = poll(&descriptor, 1, Int32(seconds * 1000))
                guard ready > 0 else { return false }
                var buffer = [UInt8](repeating: 0, count: 65536)
                while read(notify, &buffer, buffer.count) > 0 {}  // drain: a scan looks at everything anyway
                return true
            }
        #endif
        Thread.sleep(forTimeInterval: seconds)
        return false
    }
}
