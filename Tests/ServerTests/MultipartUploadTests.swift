import XCTest

@testable import Server

/// The first file of a multipart body, as browsers and curl send it, and what is refused.
final class MultipartUploadTests: XCTestCase {
    private func form(_ boundary: String, _ parts: [(headers: String, body: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for part in parts { out += Array("--\(boundary)\r\n\(part.headers)\r\n\r\n".utf8) + part.body + Array("\r\n".utf8) }
        return out + Array("--\(boundary)--\r\n".utf8)
    }

    func testTheFirstFileFieldIsFoundWithItsExtension() {
        XCTAssertEqual(MultipartUpload.boundary(contentType: "multipart/form-data; boundary=----abc123"), "----abc123")
        XCTAssertEqual(MultipartUpload.boundary(contentType: "multipart/form-data; charset=utf-8; boundary=\"x y\""), "x y")
        XCTAssertNil(MultipartUpload.boundary(contentType: "application/json"))
        XCTAssertNil(MultipartUpload.boundary(contentType: "multipart/form-data"))
        let jpeg: [UInt8] = [0xFF, 0xD8, 0x0D, 0x0A, 0x2D, 0x2D, 0x00, 0xFF, 0xD9]  // CRLF and dashes inside the data
        let body = form(
            "B0undary",
            [
                ("Content-Disposition: form-data; name=\"k\"", Array("5".utf8)),
                ("Content-Disposition: form-data; name=\"file\"; filename=\"My Photo.JPEG\"\r\nContent-Type: image/jpeg", jpeg),
                ("Content-Disposition: form-data; name=\"other\"; filename=\"b.png\"", [1, 2, 3]),
            ])
        XCTAssertEqual(MultipartUpload.firstFile(body, boundary: "B0undary"), .init(bytes: jpeg, fileExtension: "jpeg"))
    }

    func testNamesNeverReachThePathAndBrokenFormsAreRefused() {
        for (name, ext) in [
            ("../../etc/passwd", nil), ("a.mp4/../../x", nil), ("clip.tar.gz", "gz"), ("x.m%2F4", nil), ("noext", nil), ("a.toolongext", nil),
        ] as [(String, String?)] {
            let body = form("b", [("Content-Disposition: form-data; name=\"f\"; filename=\"\(name)\"", [7])])
            XCTAssertEqual(MultipartUpload.firstFile(body, boundary: "b")?.fileExtension, ext, name)
        }
        XCTAssertNil(MultipartUpload.firstFile(form("b", [("Content-Disposition: form-data; name=\"k\"", [1])]), boundary: "b"), "no file field")
        XCTAssertNil(
            MultipartUpload.firstFile(Array("--b\r\nContent-Disposition: form-data; filename=\"a.jpg\"\r\n\r\nunterminated".utf8), boundary: "b"))
        XCTAssertNil(MultipartUpload.firstFile([], boundary: "b"))
        XCTAssertNil(MultipartUpload.firstFile(Array("--b--\r\n".utf8), boundary: "b"))
    }
}
