import Foundation

/// OpenMP's threads (oneDNN's and FAISS's) spin for a while after each parallel region before
/// they sleep (GNU OpenMP: 300,000 turns). Between two products the model's own threads run the
/// layer norms, softmax and attention, and the spinning thread holds the core one of them needs
/// (BENCHMARKS.md, "Reading these figures"; `GOMP_SPINCOUNT=300000 vidsearch bench model` shows
/// it). libgomp reads GOMP_SPINCOUNT once, as it loads, before main runs, so the commands that
/// run the vision model start themselves again with a short spin (`spins` turns) unless the
/// user chose one.
enum OpenMPSpinning {
    static let spins = "1000"
    static let commands: Set<String> = ["index", "watch", "serve", "demo", "bench"]

    static func shortenIfUnset() {
        let environment = ProcessInfo.processInfo.environment
        guard CommandLine.arguments.count > 1, commands.contains(CommandLine.arguments[1]),
            environment["GOMP_SPINCOUNT"] == nil, environment["OMP_WAIT_POLICY"] == nil
        else { return }
        setenv("GOMP_SPINCOUNT", spins, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Could not start again (no /proc): go on with OpenMP's default spinning.
    }
}
