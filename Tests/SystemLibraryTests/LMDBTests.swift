import TestSupport
import VideoIndex
import XCTest

final class LMDBTests: XCTestCase {
    func testPutGetAndAbortedTransactionWritesNothing() throws {
        let dir = try temporaryDirectory(self)
        let env = try LMDBEnvironment(path: dir.path)
        try env.write { txn in
            try txn.put(Array("value".utf8), for: Array("key".utf8), in: "things")
        }
        XCTAssertEqual(try env.read { try $0.get(Array("key".utf8), in: "things") }, Array("value".utf8))

        struct Abort: Error {}
        XCTAssertThrowsError(
            try env.write { txn in
                try txn.put(Array("other".utf8), for: Array("key2".utf8), in: "things")
                try txn.put(Array("changed".utf8), for: Array("key".utf8), in: "things")
                throw Abort()
            })
        try env.read { txn in
            XCTAssertNil(try txn.get(Array("key2".utf8), in: "things"))
            XCTAssertEqual(try txn.get(Array("key".utf8), in: "things"), Array("value".utf8))
            XCTAssertEqual(try txn.count(in: "things"), 1)
        }
    }

    func testReopenSeesCommittedData() throws {
        let dir = try temporaryDirectory(self)
        do {
            let env = try LMDBEnvironment(path: dir.path)
            try env.write { try $0.put([1, 2, 3], for: [9], in: "db") }
        }
        let env = try LMDBEnvironment(path: dir.path)
        XCTAssertEqual(try env.read { try $0.get([9], in: "db") }, [1, 2, 3])
    }

    func testMapGrowsInsteadOfFailing() throws {
        let dir = try temporaryDirectory(self)
        let env = try LMDBEnvironment(path: dir.path, mapSize: 64 << 10)
        let value = [UInt8](repeating: 7, count: 4096)
        for i in 0..<200 {
            try env.write { try $0.put(value, for: withUnsafeBytes(of: UInt32(i).bigEndian, Array.init), in: "big") }
        }
        XCTAssertEqual(try env.read { try $0.count(in: "big") }, 200)
        XCTAssertGreaterThan(env.mapSize, 64 << 10)
    }
}
