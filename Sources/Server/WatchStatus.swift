import Foundation
import Ingest

/// What the folder watcher beside the server is doing, for `/api/status` and the page: read
/// from the `vidsearch watch --json` events it prints.
public final class WatchStatus: @unchecked Sendable {
    private let lock = NSLock()
    private var folders: [String] = []
    private var running = false
    private var waiting = 0
    private var current: String?
    private var indexed = 0, removed = 0, moved = 0
    private var seconds = 0.0
    private var errors: [WatchState.Failure] = []
    private var stopped: String?
    /// Watched folders offline now, and why.
    private var offline: [String: String] = [:]
    private let started = Date()

    public init(folders: [String]) { self.folders = folders }

    /// One event of the watcher; true when it committed (searches should refresh).
    @discardableResult
    public func apply(_ event: WatchEvent) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .started: running = true
        case .waiting(let files): waiting = files
        case .encoding(let path, _): current = path
        case .file(let file):
            current = nil
            switch IndexRun.Outcome(rawValue: file.status) {
            case .indexed:
                indexed += 1
                seconds += file.duration
            case .moved: moved += 1
            case .failed:
                errors.append(WatchState.Failure(path: file.path, error: file.error ?? "unknown"))
                if errors.count > 20 { errors.removeFirst() }
            case .skipped, nil: break
            }
        case .removed: removed += 1
        case .offline(let folder, let reason): offline[folder] = reason
        case .online(let folder): offline[folder] = nil
        case .committed:
            waiting = 0
            return true
        }
        return false
    }

    public func ended(_ why: String) {
        lock.lock()
        running = false
        stopped = why
        lock.unlock()
    }

    var state: WatchState {
        lock.lock()
        defer { lock.unlock() }
        let elapsed = Date().timeIntervalSince(started)
        return WatchState(
            watching: running, folders: folders, queued: waiting, indexed: indexed, moved: moved, removed: removed,
            errors: errors, videoSeconds: seconds, rate: elapsed > 0 ? seconds / elapsed : 0, current: current,
            stopped: stopped,
            offline: offline.isEmpty ? nil : offline.sorted { $0.key < $1.key }.map { WatchState.Offline(folder: $0.key, reason: $0.value) })
    }
}
