import Foundation
import FuzzTargets
import XCTest

/// Replays every saved fuzz input (Tests/Fuzz/Corpus: seeds, and the inputs that once found a
/// bug) through the parsers: each must return, never trap.
final class CorpusTests: XCTestCase {
    func testEverySavedInputParsesWithoutCrashing() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Corpus")
        let files = try FileManager.default.contentsOfDirectory(atPath: corpus.path).sorted()
        XCTAssertGreaterThanOrEqual(files.count, Parsers.names.count, "a seed for each parser")
        var selectors = Set<Int>()
        for file in files {
            let data = try XCTUnwrap(FileManager.default.contents(atPath: corpus.appendingPathComponent(file).path))
            if let first = data.first { selectors.insert(Int(first) % Parsers.names.count) }
            Parsers.run(Array(data))
        }
        XCTAssertEqual(selectors.count, Parsers.names.count, "every parser has at least one seed")
    }
}
