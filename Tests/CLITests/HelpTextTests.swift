import Foundation
import TestSupport
import XCTest

/// `--help` prose is wrapped by the argument parser to the terminal's width alone: a help text
/// that carried its own line breaks was wrapped twice, leaving sentences broken mid-line
/// ("2 usage error (bad\nflags,\nempty query)").
final class HelpTextTests: XCTestCase {
    func testProseIsWrappedOnlyToTheTerminal() throws {
        let wide = ["COLUMNS": "400"]
        let root = try CLI.run(["--help"], environment: wide)
        XCTAssertEqual(root.status, 0)
        XCTAssertTrue(root.stdout.contains("2 usage error (bad flags, empty query), 3 index or model error"), root.stdout)
        let watch = try CLI.run(["watch", "--help"], environment: wide)
        XCTAssertTrue(watch.stdout.contains("(size and modification time unchanged for --settle seconds)"), watch.stdout)

        // At 80 columns every line fits, and the examples keep their own lines.
        for command in [["--help"], ["index", "--help"], ["search", "--help"], ["watch", "--help"], ["model", "pull", "--help"]] {
            let r = try CLI.run(command, environment: ["COLUMNS": "80"])
            XCTAssertEqual(r.status, 0, r.stderr)
            for line in r.lines where line.count > 80 && !line.contains("vidsearch ") {
                XCTFail("\(command): a line of \(line.count) columns: \(line)")
            }
        }
        let search = try CLI.run(["search", "--help"], environment: ["COLUMNS": "80"])
        XCTAssertTrue(search.lines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("vidsearch search \"a dog") }, search.stdout)
    }
}
