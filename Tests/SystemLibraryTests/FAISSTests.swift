import Tensor
import TestSupport
import VideoIndex
import XCTest

final class FAISSTests: XCTestCase {
    func testAddSearchWriteReadSearchAgain() throws {
        var rng = SeededRandom(seed: 11)
        let d = 16, n = 200
        let vectors = (0..<n * d).map { _ in rng.uniform() }
        let ids = (0..<n).map { Int64($0 * 3 + 1000) }
        let index = try FaissIndex(dimension: d, factory: "Flat")
        try index.add(vectors, ids: ids)
        XCTAssertEqual(index.count, n)

        let queries = Array(vectors[(5 * d)..<(7 * d)])
        let before = try index.search(queries, k: 5)
        XCTAssertEqual(before.count, 2)
        XCTAssertEqual(before[0].count, 5)
        // Inner product: the best match of a vector is not necessarily itself, so check against brute force.
        for (q, hits) in before.enumerated() {
            let scores = (0..<n).map { j in (0..<d).reduce(Float(0)) { $0 + queries[q * d + $1] * vectors[j * d + $1] } }
            let best = scores.enumerated().max { $0.element < $1.element }!
            XCTAssertEqual(hits[0].id, ids[best.offset])
            XCTAssertEqual(hits[0].score, best.element, accuracy: 1e-4)
        }

        let path = try temporaryDirectory(self).appendingPathComponent("index.faiss").path
        try index.write(to: path)
        let reread = try FaissIndex(contentsOf: path)
        XCTAssertEqual(reread.count, n)
        let after = try reread.search(queries, k: 5)
        XCTAssertEqual(after.map { $0.map(\.id) }, before.map { $0.map(\.id) })
        XCTAssertEqual(after.map { $0.map(\.score) }, before.map { $0.map(\.score) })

        XCTAssertEqual(try reread.remove(ids: [ids[5], 424242]), 1)
        XCTAssertFalse(try reread.search(queries, k: 5)[0].map(\.id).contains(ids[5]))
    }

    func testBadInputComesBackAsSwiftErrors() throws {
        XCTAssertThrowsError(try FaissIndex(dimension: 8, factory: "NoSuchIndex42")) { error in
            XCTAssertTrue("\(error)".contains("NoSuchIndex42"), "\(error)")
        }
        XCTAssertThrowsError(try FaissIndex(dimension: 0, factory: "Flat"))
        let index = try FaissIndex(dimension: 8)
        XCTAssertThrowsError(try index.add([Float](repeating: 0, count: 12), ids: [1, 2]))
        XCTAssertThrowsError(try index.search([Float](repeating: 0, count: 7), k: 1))
        XCTAssertThrowsError(try FaissIndex(contentsOf: "/nonexistent/index.faiss"))
        // A structure that cannot remove ids says so instead of crashing.
        let hnsw = try FaissIndex(dimension: 8, factory: "HNSW8")
        try hnsw.add([Float](repeating: 0.5, count: 8), ids: [1])
        XCTAssertThrowsError(try hnsw.remove(ids: [1]))
    }
}
