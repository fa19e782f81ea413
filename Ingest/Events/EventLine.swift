import Foundation

/// The JSON lines vidsearch prints for other programs (`index --json`, `index --dry-run --json`,
/// `watch --json`, `merge --json`): each is one of the Codable types in this folder, and each
/// carries `version`, so that a reader (the server reading its watcher, the Ray driver reading
/// its tasks) refuses a line of another version by name rather than misreading it.
/// Version 1: the fields as documented on each type.
public enum EventLine {
    public static let version = 1

    /// One line: sorted keys, slashes as they are; a value JSON cannot hold (a non-finite number)
    /// becomes an error line that says so.
    public static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do { return String(decoding: try encoder.encode(value), as: UTF8.self) } catch {
            return #"{"error":"this line could not be written as JSON","version":\#(version)}"#
        }
    }

    /// A line of type `T`, after its version is checked.
    public static func decode<T: Decodable>(_ type: T.Type, from line: Data) throws -> T {
        let found = try JSONDecoder().decode(Versioned.self, from: line).version
        guard found == version else { throw VersionError(found: found) }
        return try JSONDecoder().decode(type, from: line)
    }

    private struct Versioned: Decodable { let version: Int? }

    public struct VersionError: Error, CustomStringConvertible {
        public let found: Int?
        public var description: String {
            "an event line of version \(found.map(String.init) ?? "none"); this vidsearch reads version \(EventLine.version)"
        }
    }
}
