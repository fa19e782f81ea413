import Foundation
import Ingest

/// Printing for people and for scripts.
public enum Output {
    /// JSON lines that could not be written; the command then exits 1 (VidSearch.main).
    public static var unwritten = 0

    /// One event line (Ingest/Events: versioned types other programs read), flushed at once.
    public static func line<T: Encodable>(_ event: T) {
        let text = EventLine.encode(event)
        if text.hasPrefix(#"{"error""#) { unwritten += 1 }
        print(text)
        fflush(stdout)
    }

    /// One JSON object on one line (keys sorted so output is stable), flushed at once: a script
    /// reading a pipe sees each result as it comes, not all of them at exit. An object that
    /// cannot be written (a non-finite number) becomes an `error` line that says why.
    public static func json(_ object: [String: Any]) {
        var object = object
        if let problem = JSONCheck.problem(object) {
            error("a JSON line could not be written: \(problem)")
            unwritten += 1
            object = ["error": "this line could not be written as JSON: \(problem)"]
        }
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data(#"{"error":"this line could not be written as JSON"}"#.utf8)
        print(String(decoding: data, as: UTF8.self))
        fflush(stdout)
    }

    /// A message on standard error.
    public static func error(_ message: String) {
        FileHandle.standardError.write(Data("vidsearch: \(message)\n".utf8))
    }
}
