import Foundation
import TestSupport
import VideoIndex
import XCTest

final class LMDBTests: XCTestCase {
    static let names = ["things", "db", "big", "a", "b", "c", "d", "late"]
    func testPutGetAndAbortedTransactionWritesNothing() throws {
        let dir = try temporaryDirectory(self)
        let env = try LMDBEnvironment(path: dir.path, databases: Self.names)
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
            let env = try LMDBEnvironment(path: dir.path, databases: Self.names)
            try env.write { try $0.put([1, 2, 3], for: [9], in: "db") }
        }
        let env = try LMDBEnvironment(path: dir.path, databases: Self.names)
        XCTAssertEqual(try env.read { try $0.get([9], in: "db") }, [1, 2, 3])
    }

    func testMapGrowsInsteadOfFailing() throws {
        let dir = try temporaryDirectory(self)
        let env = try LMDBEnvironment(path: dir.path, databases: Self.names, mapSize: 64 << 10)
        let value = [UInt8](repeating: 7, count: 4096)
        for i in 0..<200 {
            try env.write { try $0.put(value, for: withUnsafeBytes(of: UInt32(i).bigEndian, Array.init), in: "big") }
        }
        XCTAssertEqual(try env.read { try $0.count(in: "big") }, 200)
        XCTAssertGreaterThan(env.mapSize, 64 << 10)
    }

    /// Every database is declared when the environment opens: another name is an error, not a
    /// handle opened on the fly inside whichever transaction meets it first.
    func testAnUndeclaredDatabaseIsRefused() throws {
        let dir = try temporaryDirectory(self)
        let env = try LMDBEnvironment(path: dir.path, databases: Self.names)
        XCTAssertThrowsError(try env.write { try $0.put([1], for: [1], in: "elsewhere") }) { error in
            XCTAssertTrue("\(error)".contains("elsewhere"), "\(error)")
        }
        let reader = try LMDBEnvironment(path: dir.path + "-none", databases: Self.names, readOnly: false)
        XCTAssertNil(try reader.read { try $0.get([1], in: "a") })
    }

    /// More threads than cores make the first reads of a fresh reader at once, over and over: the
    /// handles were opened lazily inside whichever transaction came first and kept in a dictionary
    /// every thread wrote, which crashed the server under 4 clients.
    func testConcurrentFirstReadsOfAFreshReader() throws {
        let dir = try temporaryDirectory(self)
        do {
            let env = try LMDBEnvironment(path: dir.path, databases: Self.names)
            try env.write { txn in
                for name in ["a", "b", "c", "d"] {
                    for i in 0..<50 { try txn.put(Array("\(name)\(i)".utf8), for: [UInt8(i)], in: name) }
                }
            }
        }
        for _ in 0..<20 {
            let reader = try LMDBEnvironment(path: dir.path, databases: Self.names, readOnly: true)
            let failures = Failures()
            DispatchQueue.concurrentPerform(iterations: 16) { thread in
                for i in 0..<200 {
                    let name = ["a", "b", "c", "d"][(thread + i) % 4]
                    do {
                        let value = try reader.read { try $0.get([UInt8(i % 50)], in: name) }
                        if value != Array("\(name)\(i % 50)".utf8) { failures.add("\(name) \(i): \(String(describing: value))") }
                    } catch {
                        failures.add("\(error)")
                    }
                }
            }
            XCTAssertEqual(failures.all, [])
        }
    }

    /// Another process grows the map while this one holds a read transaction open: the thread
    /// that meets MDB_MAP_RESIZED adopts the new size only once no transaction of this process is
    /// live (the map under the open transaction stays mapped), and both threads read correctly.
    func testAMapGrownByAnotherProcessIsAdoptedWithNoTransactionLive() throws {
        let dir = try temporaryDirectory(self)
        do {
            let env = try LMDBEnvironment(path: dir.path, databases: Self.names)
            try env.write { try $0.put(Array("before".utf8), for: [1], in: "a") }
        }
        let reader = try LMDBEnvironment(path: dir.path, databases: Self.names, readOnly: true)
        let mapBefore = reader.mapSize
        let holding = DispatchSemaphore(value: 0), grown = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let failures = Failures()
        let holderEnded = Failures()
        Thread.detachNewThread {
            do {
                try reader.read { txn in
                    holding.signal()
                    grown.wait()
                    Thread.sleep(forTimeInterval: 0.3)  // the other thread now waits to resize
                    if try txn.get([1], in: "a") != Array("before".utf8) { failures.add("the open snapshot changed") }
                    holderEnded.add("ended")
                }
            } catch {
                failures.add("holder: \(error)")
            }
            done.signal()
        }
        holding.wait()
        try runChild(growing: dir)
        grown.signal()
        let big = try reader.read { try $0.get([0], in: "big") }
        XCTAssertEqual(big?.count, 1 << 20)
        // The map was adopted (and so this read ran) only after the open transaction ended.
        XCTAssertEqual(holderEnded.all, ["ended"], "the map was resized under a live read transaction")
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(failures.all, [])
        XCTAssertGreaterThan(reader.mapSize, mapBefore)
    }

    /// A database an older writer never made, made by a writer in another process while a reader
    /// runs: found by the reader's next transactions (looked for again once a second, one
    /// thread at a time, with no stall of the others), while a transaction begun before keeps
    /// not seeing it (its handle would be invalid there).
    func testADatabaseMadeLaterByAnotherProcessIsFound() throws {
        let dir = try temporaryDirectory(self)
        do {
            let old = try LMDBEnvironment(path: dir.path, databases: ["a"])  // as an older version made it
            try old.write { try $0.put([1], for: [1], in: "a") }
        }
        let reader = try LMDBEnvironment(path: dir.path, databases: Self.names, readOnly: true)
        XCTAssertNil(try reader.read { try $0.get([1], in: "late") })
        try reader.read { before in
            try runChild(growing: dir, mode: "late")
            XCTAssertNil(try before.get([1], in: "late"), "a transaction begun before the database existed")
        }
        Thread.sleep(forTimeInterval: 1.1)
        XCTAssertEqual(try reader.read { try $0.get([1], in: "late") }, [7])
    }

    /// The other process of the tests above: writes 96 MiB, past the 64 MiB map (or, in mode
    /// "late", one value in a database the index did not have), and exits.
    func testChildGrowsTheMap() throws {
        guard let path = ProcessInfo.processInfo.environment["VIDSEARCH_LMDB_GROW"] else {
            throw XCTSkip("runs only as the child process of testAMapGrownByAnotherProcessIsAdoptedWithNoTransactionLive")
        }
        let env = try LMDBEnvironment(path: path, databases: Self.names)
        if ProcessInfo.processInfo.environment["VIDSEARCH_LMDB_MODE"] == "late" {
            try env.write { try $0.put([7], for: [1], in: "late") }
            return
        }
        let value = [UInt8](repeating: 5, count: 1 << 20)
        for i in 0..<96 { try env.write { try $0.put(value, for: [UInt8(i)], in: "big") } }
    }

    private func runChild(growing dir: URL, mode: String = "grow") throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        child.arguments = ["SystemLibraryTests.LMDBTests/testChildGrowsTheMap"]
        child.environment = ProcessInfo.processInfo.environment.merging(["VIDSEARCH_LMDB_GROW": dir.path, "VIDSEARCH_LMDB_MODE": mode]) { _, new in
            new
        }
        child.standardOutput = FileHandle.nullDevice
        try child.run()
        child.waitUntilExit()
        XCTAssertEqual(child.terminationStatus, 0, "the child that grows the map failed")
    }
}

/// Failures gathered from several threads.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ item: String) {
        lock.lock()
        items.append(item)
        lock.unlock()
    }
    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}
