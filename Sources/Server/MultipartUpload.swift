/// The first file of a `multipart/form-data` body (RFC 7578): its bytes and the extension of
/// the name it was sent with (only the extension is kept, lowercased, letters and digits: the
/// name itself never reaches the file system).
enum MultipartUpload {
    struct File: Equatable {
        var bytes: [UInt8]
        var fileExtension: String?
    }

    static func boundary(contentType: String) -> String? {
        guard contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for part in contentType.split(separator: ";").dropFirst() {
            let pair = part.trimmingCharacters(in: .whitespaces)
            guard pair.lowercased().hasPrefix("boundary=") else { continue }
            var value = String(pair.dropFirst("boundary=".count))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return (1...70).contains(value.count) ? value : nil
        }
        return nil
    }

    static func firstFile(_ body: [UInt8], boundary: String) -> File? {
        let delimiter = Array("--\(boundary)".utf8)
        var position = 0
        while let start = find(delimiter, in: body, from: position) {
            var cursor = start + delimiter.count
            if body.count >= cursor + 2, body[cursor] == UInt8(ascii: "-"), body[cursor + 1] == UInt8(ascii: "-") { return nil }  // the end
            guard let headersEnd = find(Array("\r\n\r\n".utf8), in: body, from: cursor) else { return nil }
            cursor = min(cursor + 2, headersEnd)
            let headers = String(decoding: body[cursor..<headersEnd], as: UTF8.self)
            let contentStart = headersEnd + 4
            guard let next = find(Array("\r\n".utf8) + delimiter, in: body, from: contentStart) else { return nil }
            if let name = filename(headers) {
                return File(bytes: Array(body[contentStart..<next]), fileExtension: Self.fileExtension(name))
            }
            position = next + 2
        }
        return nil
    }

    private static func filename(_ headers: String) -> String? {
        for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
            guard let range = line.range(of: "filename=") else { continue }
            var value = line[range.upperBound...].split(separator: ";").first.map(String.init) ?? ""
            value = value.trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\"") { value = String(value.dropFirst().prefix { $0 != "\"" }) }
            return value
        }
        return nil
    }

    private static func fileExtension(_ name: String) -> String? {
        guard let dot = name.lastIndex(of: ".") else { return nil }
        let ext = name[name.index(after: dot)...].lowercased()
        return (1...5).contains(ext.count) && ext.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) ? ext : nil
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        var i = from
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == needle[0] && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
