import DNNLBridge
import Foundation
import Tensor
import XCTest

/// A Linear layer through oneDNN: its f32 weight given back once oneDNN holds a copy and written
/// back exactly when another path needs it; several threads running one layer at once.
final class DNNLLinearTests: XCTestCase {
    private func seededLinear(rows n: Int, columns k: Int, releasable: Bool) -> (Linear, [Float]) {
        var rng = SeededRandom(seed: 21)
        let weight = Tensor(shape: [n, k], values: (0..<(n * k)).map { _ in rng.uniform(0.1) })
        return (Linear(weight: weight, bias: nil, releasable: releasable), Array(UnsafeBufferPointer(start: weight.data, count: n * k)))
    }

    private func input(_ rows: Int, _ k: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<(rows * k)).map { _ in rng.uniform(1) }
    }

    private func withEngine(_ engine: ProductEngine, releasing: Bool, _ body: () throws -> Void) rethrows {
        let before = ProductEngine.current, released = ProductEngine.releasesPlainWeights
        ProductEngine.current = engine
        ProductEngine.releasesPlainWeights = releasing
        defer {
            ProductEngine.current = before
            ProductEngine.releasesPlainWeights = released
        }
        try body()
    }

    func testWeightsAreGivenBackAndWrittenBackExactly() throws {
        let n = 512, k = 768
        try withEngine(.onednnF32, releasing: true) {
            let (linear, original) = seededLinear(rows: n, columns: k, releasable: true)
            let (kept, _) = seededLinear(rows: n, columns: k, releasable: false)
            let x = input(64, k, seed: 3)
            var y = [Float](repeating: .nan, count: 64 * n), expected = y
            linear.apply(x, rows: 64, into: &y)
            kept.apply(x, rows: 64, into: &expected)
            XCTAssertEqual(y, expected, "the same product with the weight given back")
            // Its pages went back to the system: they read as zeros now (the block's middle).
            XCTAssertEqual(linear.weight.data[n * k / 2], 0)
            XCTAssertNotEqual(original[n * k / 2], 0)
            XCTAssertFalse(kept.weight.data[n * k / 2] == 0, "a layer that does not allow it keeps its weight")

            // A few-row product needs the f32 weight: written back from the f32 copy, exactly.
            let few = input(4, k, seed: 4)
            var small = [Float](repeating: .nan, count: 4 * n), smallExpected = small
            linear.apply(few, rows: 4, into: &small)
            kept.apply(few, rows: 4, into: &smallExpected)
            XCTAssertEqual(Array(UnsafeBufferPointer(start: linear.weight.data, count: n * k)), original)
            XCTAssertEqual(small, smallExpected)
        }
    }

    func testWithoutTheProcessAskingNothingIsGivenBack() throws {
        try withEngine(.onednnF32, releasing: false) {
            let (linear, original) = seededLinear(rows: 512, columns: 768, releasable: true)
            var y = [Float](repeating: 0, count: 64 * 512)
            linear.apply(input(64, 768, seed: 5), rows: 64, into: &y)
            XCTAssertEqual(Array(UnsafeBufferPointer(start: linear.weight.data, count: 512 * 768)), original)
        }
    }

    /// The ingest pipeline's model workers run the same layers at once, each on one thread.
    func testSeveralThreadsRunOneLayerAtOnce() throws {
        let engines: [ProductEngine] = ProductEngine.cpuHasBF16 ? [.onednnF32, .onednnBF16] : [.onednnF32]
        for engine in engines {
            try withEngine(engine, releasing: false) {
                let (linear, _) = seededLinear(rows: 384, columns: 768, releasable: false)
                let inputs = (0..<4).map { input(400, 768, seed: UInt64(10 + $0)) }
                let expected: [[Float]] = inputs.map { x in
                    var y = [Float](repeating: 0, count: 400 * 384)
                    linear.apply(x, rows: 400, into: &y)
                    return y
                }
                let mismatches = UnsafeMutableBufferPointer<Int>.allocate(capacity: 4)
                defer { mismatches.deallocate() }
                mismatches.initialize(repeating: 0)
                DispatchQueue.concurrentPerform(iterations: 4) { t in
                    for _ in 0..<10 {
                        var y = [Float](repeating: 0, count: 400 * 384)
                        linear.apply(inputs[t], rows: 400, into: &y)
                        if y != expected[t] { mismatches[t] += 1 }
                    }
                }
                XCTAssertEqual(Array(mismatches), [0, 0, 0, 0], "\(engine)")
            }
        }
    }
}
