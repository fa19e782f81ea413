import CommandSupport
import DNNLMatmul
import Foundation
import Tensor

/// Timing and machine facts for benchmarks: repeat, warm up, report median and spread.
enum Measure {
    struct Timing {
        let median: Double
        let min: Double
        let max: Double
        var spread: Double { median > 0 ? (max - min) / median : 0 }
    }

    /// Runs `body` `warmup` times unmeasured, then `repeats` times; seconds per run.
    static func time(repeats: Int = 5, warmup: Int = 1, _ body: () throws -> Void) rethrows -> Timing {
        for _ in 0..<warmup { try body() }
        var samples: [Double] = []
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        samples.sort()
        return Timing(median: samples[samples.count / 2], min: samples.first!, max: samples.last!)
    }

    /// This machine's sgemm rate in GFLOP/s on a 400x2304x768 product (the shape of the vision
    /// encoder's fused q/k/v projection for one B/32 segment) on every core: with OpenBLAS's own
    /// threads, or (`split`) single-threaded OpenBLAS on each core's share of the columns, as the
    /// model runs its products.
    static func sgemmRate(split: Bool) -> Double {
        let m = 400, n = 2304, k = 768
        var rng = SeededRandom(seed: 1)
        let a = rng.tensor([m, k]), b = rng.tensor([n, k])
        let c = Tensor(shape: [m, n])
        if !split { BLAS.threads = Parallel.cores }
        defer { BLAS.threads = 1 }
        let t = time(repeats: 15, warmup: 3) {
            for _ in 0..<4 {
                if split {
                    BLAS.parallelGemm(transposeB: true, m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: k, c: c.data, ldc: n)
                } else {
                    BLAS.gemm(transposeB: true, m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: k, c: c.data, ldc: n)
                }
            }
        }
        return 4 * 2 * Double(m * n * k) / t.median / 1e9
    }

    /// oneDNN's matmul rate on the same 400x768x2304 product in GFLOP/s (weights in the layout
    /// it picks, reordered once), and the implementation it chose; nil where it has no such
    /// product (bf16 on a CPU without bf16 instructions).
    static func dnnlRate(bf16: Bool) -> (rate: Double, implementation: String)? {
        let m = 400, n = 2304, k = 768
        var rng = SeededRandom(seed: 1)
        let a = (0..<(m * k)).map { _ in rng.uniform(1) }, b = (0..<(k * n)).map { _ in rng.uniform(1) }
        var c = [Float](repeating: 0, count: m * n)
        var error = [CChar](repeating: 0, count: 256)
        ProductEngine.oneDNNThreads
        guard let mm = vs_dnnl_matmul_create(Int64(m), Int64(k), Int64(n), b, bf16 ? 1 : 0, &error, error.count) else { return nil }
        defer { vs_dnnl_matmul_destroy(mm) }
        let t = time(repeats: 15, warmup: 3) {
            for _ in 0..<4 { _ = vs_dnnl_matmul_run(mm, a, &c) }
        }
        return (4 * 2 * Double(m * n * k) / t.median / 1e9, String(cString: vs_dnnl_matmul_implementation(mm)))
    }

    /// This machine's read bandwidth in GB/s: every core summing its share of a 512 MiB buffer.
    static func memoryBandwidth() -> Double {
        let count = 128 << 20
        let buffer = Tensor(shape: [count])
        for i in stride(from: 0, to: count, by: 1024) { buffer.data[i] = 1 }
        var sink: Float = 0
        let t = time(repeats: 7, warmup: 2) {
            let chunks = Parallel.cores
            var partial = [Float](repeating: 0, count: chunks)
            partial.withUnsafeMutableBufferPointer { out in
                parallelFor(chunks) { c in
                    let start = c * count / chunks, end = (c + 1) * count / chunks
                    let raw = UnsafeRawPointer(buffer.data + start)
                    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
                    for v in stride(from: 0, to: (end - start) / 8 - 3, by: 4) {
                        a0 += raw.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self)
                        a1 += raw.loadUnaligned(fromByteOffset: v * 32 + 32, as: SIMD8<Float>.self)
                        a2 += raw.loadUnaligned(fromByteOffset: v * 32 + 64, as: SIMD8<Float>.self)
                        a3 += raw.loadUnaligned(fromByteOffset: v * 32 + 96, as: SIMD8<Float>.self)
                    }
                    out[c] = (a0 + a1 + a2 + a3).sum()
                }
            }
            sink += partial.reduce(0, +)
        }
        if sink.isNaN { print("") }  // keeps the sums alive
        return Double(count * 4) / t.median / 1e9
    }

    /// Runs this vidsearch binary as a child (`bench` with `arguments`, `environment` as NAME=VALUE
    /// settings) that prints its own peak resident bytes; nil when it fails.
    static func childPeakBytes(_ arguments: [String], environment: [String] = []) throws -> Int? {
        let binary = Defaults.executable.path
        // Subprocess runs /usr/bin/env: NAME=VALUE words before the program set its environment.
        let result = try Subprocess.run("env", environment + [binary, "bench"] + arguments)
        guard result.status == 0 else { return nil }
        return Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Peak resident memory of this process so far, bytes (VmHWM).
    static func peakResidentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).compactMap { Int($0) }.first ?? 0
            return kb * 1024
        }
        return 0
    }

    /// CPU model, flags of interest, cores and memory.
    static func machine() -> String {
        var model = "unknown CPU", flags: [String] = []
        if let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            for line in cpuinfo.split(separator: "\n") {
                if line.hasPrefix("model name"), model == "unknown CPU" {
                    model = line.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)
                }
                if line.hasPrefix("flags"), flags.isEmpty {
                    let all = Set(line.split(separator: ":").last!.split(separator: " ").map(String.init))
                    flags = ["avx2", "fma", "avx512f"].filter { all.contains($0) }
                }
            }
        }
        let memory = Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
        return
            "\(model), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(String(format: "%.0f", memory)) GiB, flags \(flags.joined(separator: "+"))"
    }

    /// Wall timing of `body` and the process's CPU-seconds (user + system) per run, median.
    static func timeWithCPU(repeats: Int, _ body: () throws -> Void) throws -> (Measure.Timing, Double) {
        var cpu: [Double] = []
        let t = try Measure.time(repeats: repeats, warmup: 1) {
            let before = processCPU()
            try body()
            cpu.append(processCPU() - before)
        }
        let runs = cpu.dropFirst().sorted()  // the warm-up run is not one of them
        return (t, runs[runs.count / 2])
    }

    static func processCPU() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
