import Foundation

/// How `vidsearch serve` tells a parent process where it listens: its first line on standard
/// output, "vidsearch: serving DIR at http://HOST:PORT/", printed once the port is bound (with
/// `--port 0`, the port the system gave). The tests and `bench serve` read it with `address`;
/// the browser test (Python) reads the same line.
public enum ServeHandshake {
    public static func line(directory: String, address: String) -> String {
        "vidsearch: serving \(directory) at \(address)"
    }

    /// Reads the first line a child prints on `output`: the address it serves at, or nil (with
    /// what it printed instead) when it ended or printed something else.
    public static func address(from output: FileHandle) -> (address: URL?, line: String) {
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.availableData
            if chunk.isEmpty { break }  // the child closed its output: it ended
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let at = text.range(of: " at http://") else { return (nil, text) }
        let address = String(text[at.upperBound...].prefix { $0 != "\n" }).trimmingCharacters(in: .whitespaces)
        return (URL(string: "http://" + address), text)
    }
}
