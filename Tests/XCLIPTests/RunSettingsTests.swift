import Foundation
import Tensor
import XCLIP
import XCTest

/// Settings are passed, not set: two models, each loaded with its own engine and core budget,
/// run at the same time in one process and each gives its own reference output, and the
/// process's defaults stay as they were.
final class RunSettingsTests: XCTestCase {
    private static let demo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Models/xclip-demo")

    func testTwoModelsWithTheirOwnEnginesAndBudgetsRunAtOnce() throws {
        let defaults = RunSettings.processDefaults
        let cases: [(name: String, directory: URL, dump: String, settings: RunSettings)] = [
            ("tiny fixture, OpenBLAS, one core", ParityTests.fixture, "io.safetensors", RunSettings(engine: .openblas, cores: 1)),
            ("demo model, oneDNN f32, two cores", Self.demo, "reference.safetensors", RunSettings(engine: .onednnF32, cores: 2)),
        ]
        let models = try cases.map { try XCLIPModel(directory: $0.directory, settings: $0.settings) }
        let references = try cases.map { try SafeTensorsFile(path: $0.directory.appendingPathComponent($0.dump).path) }

        final class Outcome: @unchecked Sendable {
            var errors: [String] = []
            var worst = 0.0
            var tally = ProductTally()
            var seen: [RunSettings?] = []
        }
        let outcomes = cases.map { _ in Outcome() }
        let group = DispatchGroup()
        for (i, model) in models.enumerated() {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                _ = ProductTally.take()
                for _ in 0..<3 {  // overlapping the other model's calls
                    do {
                        for result in try ReferenceCheck.run(model: model, reference: references[i]) {
                            if let problem = result.problem { outcomes[i].errors.append("\(result.name): \(problem)") }
                            outcomes[i].worst = max(outcomes[i].worst, Double(result.error ?? .infinity))
                        }
                    } catch { outcomes[i].errors.append("\(error)") }
                }
                outcomes[i].tally = ProductTally.take()
                outcomes[i].seen.append(RunSettings.onThisThread)  // nothing left applied after the calls
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()

        for (i, item) in cases.enumerated() {
            XCTAssertEqual(outcomes[i].errors, [], item.name)
            XCTAssertTrue(outcomes[i].worst <= 1e-4, "\(item.name): worst relative error \(outcomes[i].worst)")
            XCTAssertEqual(outcomes[i].seen, [nil], item.name)
        }
        XCTAssertEqual(outcomes[0].tally.onednnF32 + outcomes[0].tally.onednnBF16, 0, "the OpenBLAS model's products: \(outcomes[0].tally)")
        XCTAssertGreaterThan(outcomes[1].tally.onednnF32, 0, "the oneDNN model's products: \(outcomes[1].tally)")
        XCTAssertEqual(outcomes[1].tally.onednnBF16, 0)
        XCTAssertEqual(RunSettings.processDefaults, defaults, "the process's defaults are untouched")
    }

    func testSettingsApplyToTheirCallOnlyAndNest() {
        let outer = RunSettings(engine: .openblas, cores: 1), inner = RunSettings(engine: .onednnF32, cores: 3)
        let before = (ProductEngine.current, Parallel.cores)
        outer.applied {
            XCTAssertEqual(ProductEngine.current, .openblas)
            XCTAssertEqual(Parallel.cores, 1)
            inner.applied {
                XCTAssertEqual(ProductEngine.current, .onednnF32)
                XCTAssertEqual(Parallel.cores, 3)
            }
            XCTAssertEqual(Parallel.cores, 1)
            // Work split over Dispatch's threads keeps its caller's settings.
            let lock = NSLock()
            var seen: [Int] = []
            parallelFor(4) { _ in
                let here = (ProductEngine.current, Parallel.cores)
                lock.lock()
                seen.append(here.0 == .openblas ? here.1 : -1)
                lock.unlock()
            }
            XCTAssertEqual(seen, [1, 1, 1, 1])
            // Another thread meanwhile sees the process's defaults.
            // The thread signals once it has written: the semaphore orders the write before the read
            // (polling isFinished did not, and ThreadSanitizer said so).
            var other: (ProductEngine, Int)?
            let done = DispatchSemaphore(value: 0)
            let thread = Thread {
                other = (ProductEngine.current, Parallel.cores)
                done.signal()
            }
            thread.start()
            done.wait()
            XCTAssertEqual(other?.0, before.0)
            XCTAssertEqual(other?.1, before.1)
        }
        XCTAssertEqual(ProductEngine.current, before.0)
        XCTAssertEqual(Parallel.cores, before.1)
    }
}
