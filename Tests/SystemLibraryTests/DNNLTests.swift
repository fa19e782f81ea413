import DNNLBridge
import DNNLMatmul
import Foundation
import Tensor
import XCTest

/// oneDNN's products against a double-precision triple loop: f32 within float rounding, bf16
/// (where the CPU has it) within bf16's 8-bit mantissa.
final class DNNLTests: XCTestCase {
    private func reference(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for p in 0..<k {
                let x = Double(a[i * k + p])
                for j in 0..<n { c[i * n + j] += x * Double(b[p * n + j]) }
            }
        }
        return c
    }

    private func product(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int, bf16: Bool) throws -> [Float]? {
        var error = [CChar](repeating: 0, count: 256)
        guard let mm = vs_dnnl_matmul_create(Int64(m), Int64(k), Int64(n), b, bf16 ? 1 : 0, &error, error.count) else {
            if bf16 { return nil }
            XCTFail("oneDNN: \(String(cString: error))")
            return nil
        }
        defer { vs_dnnl_matmul_destroy(mm) }
        var c = [Float](repeating: .nan, count: m * n)
        XCTAssertEqual(vs_dnnl_matmul_run(mm, a, &c), 0)
        // Run twice: the primitive and its reordered weights are reused.
        var again = [Float](repeating: .nan, count: m * n)
        XCTAssertEqual(vs_dnnl_matmul_run(mm, a, &again), 0)
        XCTAssertEqual(c, again)
        return c
    }

    func testF32ProductMatchesTheReference() throws {
        var rng = SeededRandom(seed: 11)
        for (m, k, n) in [(37, 53, 29), (50, 768, 96), (1, 64, 64)] {
            let a = (0..<(m * k)).map { _ in rng.uniform(1) }, b = (0..<(k * n)).map { _ in rng.uniform(1) }
            let c = try XCTUnwrap(try product(a, b, m: m, k: k, n: n, bf16: false))
            let expected = reference(a, b, m: m, k: k, n: n)
            var worst = 0.0
            for (x, y) in zip(c, expected) {
                let error = abs(Double(x) - y)
                XCTAssertTrue(error.isFinite, "non-finite output")
                worst = max(worst, error)
            }
            XCTAssertLessThan(worst, 1e-4 * Double(k).squareRoot(), "\(m)x\(k)x\(n)")
        }
    }

    func testBF16ProductIsCloseWhereTheCPUHasIt() throws {
        guard vs_dnnl_has_bf16() == 1 else {
            throw XCTSkip("this CPU has no bf16 instructions (oneDNN ISA \(String(cString: vs_dnnl_isa()))): bf16 products are not tested here")
        }
        var rng = SeededRandom(seed: 12)
        let m = 64, k = 768, n = 128
        let a = (0..<(m * k)).map { _ in rng.uniform(1) }, b = (0..<(k * n)).map { _ in rng.uniform(1) }
        let c = try XCTUnwrap(try product(a, b, m: m, k: k, n: n, bf16: true))
        let expected = reference(a, b, m: m, k: k, n: n)
        for row in 0..<m {
            var dot = 0.0, nx = 0.0, ny = 0.0
            for j in 0..<n {
                let x = Double(c[row * n + j]), y = expected[row * n + j]
                dot += x * y
                nx += x * x
                ny += y * y
            }
            let cosine = dot / (nx.squareRoot() * ny.squareRoot())
            XCTAssertTrue(cosine >= 0.999, "row \(row): cosine \(cosine)")  // NaN fails too
        }
    }
}
