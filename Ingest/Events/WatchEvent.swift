/// A line of `watch --json`, which `serve --watch` reads from its watcher child: `event` names
/// the case and the other fields are its values.
public enum WatchEvent: Codable, Equatable {
    case started(folders: [String], inotify: Bool)
    /// Files seen but not yet settled.
    case waiting(files: Int)
    case encoding(path: String, duration: Double)
    case file(FileEvent)
    case removed(path: String)
    /// A watched folder is offline (missing, unreadable, unmounted): its videos are kept.
    case offline(folder: String, reason: String)
    case online(folder: String)
    /// The run's videos are committed and the caches written: searches should refresh.
    case committed

    private enum Keys: String, CodingKey { case version, event, folders, inotify, files, path, duration, folder, reason }

    public func encode(to encoder: Encoder) throws {
        if case .file(let file) = self {
            var line = file
            line.event = "file"
            try line.encode(to: encoder)
            return
        }
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(EventLine.version, forKey: .version)
        switch self {
        case .started(let folders, let inotify):
            try container.encode("started", forKey: .event)
            try container.encode(folders, forKey: .folders)
            try container.encode(inotify, forKey: .inotify)
        case .waiting(let files):
            try container.encode("waiting", forKey: .event)
            try container.encode(files, forKey: .files)
        case .encoding(let path, let duration):
            try container.encode("encoding", forKey: .event)
            try container.encode(path, forKey: .path)
            try container.encode(duration, forKey: .duration)
        case .removed(let path):
            try container.encode("removed", forKey: .event)
            try container.encode(path, forKey: .path)
        case .offline(let folder, let reason):
            try container.encode("offline", forKey: .event)
            try container.encode(folder, forKey: .folder)
            try container.encode(reason, forKey: .reason)
        case .online(let folder):
            try container.encode("online", forKey: .event)
            try container.encode(folder, forKey: .folder)
        case .committed:
            try container.encode("committed", forKey: .event)
        case .file:
            break
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let event = try container.decode(String.self, forKey: .event)
        switch event {
        case "started":
            self = .started(
                folders: try container.decode([String].self, forKey: .folders), inotify: try container.decode(Bool.self, forKey: .inotify))
        case "waiting": self = .waiting(files: try container.decode(Int.self, forKey: .files))
        case "encoding":
            self = .encoding(path: try container.decode(String.self, forKey: .path), duration: try container.decode(Double.self, forKey: .duration))
        case "file": self = .file(try FileEvent(from: decoder))
        case "removed": self = .removed(path: try container.decode(String.self, forKey: .path))
        case "offline":
            self = .offline(folder: try container.decode(String.self, forKey: .folder), reason: try container.decode(String.self, forKey: .reason))
        case "online": self = .online(folder: try container.decode(String.self, forKey: .folder))
        case "committed": self = .committed
        default: throw DecodingError.dataCorruptedError(forKey: .event, in: container, debugDescription: "unknown watch event \(event)")
        }
    }
}
