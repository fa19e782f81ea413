import Foundation

/// Printing for people and for scripts.
enum Output {
    /// One JSON object on one line (keys sorted so output is stable), flushed at once: a script
    /// reading a pipe sees each finished file as it happens, not all of them at exit.
    static func json(_ object: [String: Any]) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        print(String(decoding: data, as: UTF8.self))
        fflush(stdout)
    }

    /// A message on standard error.
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("vidsearch: \(message)\n".utf8))
    }

    /// Whether standard output is a terminal (tables and live progress) or a pipe (plain lines).
    static var isTerminal: Bool { isatty(STDOUT_FILENO) != 0 }
}
