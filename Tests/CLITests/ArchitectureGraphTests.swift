import Foundation
import XCTest

/// docs/ARCHITECTURE.md draws the targets' dependency graph, and Package.swift's header says
/// it again: both must be the graph Package.swift declares (its product targets, their
/// dependencies on each other).
final class ArchitectureGraphTests: XCTestCase {
    /// Package.swift's targets outside Tests/: name -> the package's own targets it depends on.
    func declared() throws -> [String: Set<String>] {
        let text = try String(contentsOf: CLI.repository.appendingPathComponent("Package.swift"), encoding: .utf8)
        let target = try NSRegularExpression(
            pattern: #"\.(?:target|executableTarget)\(\s*name: "([A-Za-z]+)"(?:,\s*dependencies: \[([^\]]*)\])?,\s*path: "([^"]+)""#)
        var graph: [String: Set<String>] = [:]
        for match in target.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let name = String(text[Range(match.range(at: 1), in: text)!])
            let path = String(text[Range(match.range(at: 3), in: text)!])
            guard !path.hasPrefix("Tests") else { continue }
            let list = Range(match.range(at: 2), in: text).map { String(text[$0]) } ?? ""
            // Quoted names directly in the list; `.product(name: "X", package: ...)` is another package's.
            let own = list.replacingOccurrences(of: #"\.product\([^)]*\)"#, with: "", options: .regularExpression)
            graph[name] = Set(
                own.split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                }.filter { !$0.isEmpty })
        }
        return graph
    }

    /// "A -> {B, C}" lines of a text.
    func drawn(_ text: String) -> [String: Set<String>] {
        var graph: [String: Set<String>] = [:]
        let edge = try! NSRegularExpression(pattern: #"([A-Za-z]+)\s*-> \{([^}]*)\}"#)
        for match in edge.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let name = String(text[Range(match.range(at: 1), in: text)!])
            let list = String(text[Range(match.range(at: 2), in: text)!])
            graph[name] = Set(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        return graph
    }

    func testTheDocumentedGraphIsPackageSwifts() throws {
        let package = try declared()
        XCTAssertGreaterThanOrEqual(package.count, 10, "the parse found the targets: \(package.keys.sorted())")
        // Every Swift module with dependencies, and Hub, which has none on purpose.
        let modules = package.filter { !$0.value.isEmpty || $0.key == "Hub" }
        let architecture = try String(contentsOf: CLI.repository.appendingPathComponent("docs/ARCHITECTURE.md"), encoding: .utf8)
        let block = try XCTUnwrap(architecture.components(separatedBy: "```").first { $0.contains("VideoIndex ->") })
        XCTAssertEqual(drawn(block), modules, "docs/ARCHITECTURE.md's graph")
        let header = try String(contentsOf: CLI.repository.appendingPathComponent("Package.swift"), encoding: .utf8)
            .split(separator: "\n").prefix { $0.hasPrefix("//") }.joined(separator: "\n")
        XCTAssertEqual(drawn(header), modules, "Package.swift's header comment")
    }
}
