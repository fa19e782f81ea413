import Foundation
import Hummingbird

/// The page: three files built into the binary (Assets/, embedded by SwiftPM), no build step,
/// nothing fetched from elsewhere.
struct PageRoutes {
    func add(to router: Router<ServerContext>) {
        router.get("/") { _, _ in Self.asset(PackageResources.index_html, "text/html; charset=utf-8") }
        router.get("/app.js") { _, _ in Self.asset(PackageResources.app_js, "text/javascript; charset=utf-8") }
        router.get("/app.css") { _, _ in Self.asset(PackageResources.app_css, "text/css; charset=utf-8") }
    }

    static func asset(_ bytes: [UInt8], _ type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
