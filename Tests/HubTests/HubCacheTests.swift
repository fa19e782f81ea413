import Hub
import XCTest

/// Repository names as `--model` takes them; anything else is a path (nil), never a crash.
final class HubCacheTests: XCTestCase {
    func testRepositoryNamesAndWhatIsNotOne() {
        XCTAssertEqual(HubCache.repository("openai/clip-vit-base-patch32")?.id, "openai/clip-vit-base-patch32")
        XCTAssertEqual(HubCache.repository("openai/clip-vit-base-patch32")?.revision, "main")
        XCTAssertEqual(HubCache.repository("microsoft/xclip-base-patch32@v1.0")?.revision, "v1.0")
        // "" is what a command without --model, $VIDSEARCH_MODEL or a bundled model asked about:
        // it trapped (index out of range) instead of saying no model was found.
        for value in ["", "@", "@main", "a/b@", "/abs/path", "a/b/c", "../x/y", "a/.b", "openai"] {
            XCTAssertNil(HubCache.repository(value), value)
        }
    }
}
