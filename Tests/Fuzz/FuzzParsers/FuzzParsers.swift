import Foundation
import FuzzTargets

// The libFuzzer entry point. scripts/fuzz builds this binary with -sanitize=fuzzer,address and
// FUZZING set, where main hands over to libFuzzer's driver (SwiftPM links an executable's main
// itself, so libFuzzer's own main is not used); without FUZZING it replays the files it is given.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    Parsers.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if FUZZING
    typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    @_silgen_name("LLVMFuzzerRunDriver")
    func runDriver(
        _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: FuzzCallback
    ) -> CInt
#endif

@main
struct FuzzParsersMain {
    static func main() {
        #if FUZZING
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(runDriver(&argc, &argv, fuzzOneInput))
        #else
            for path in CommandLine.arguments.dropFirst() {
                if let data = FileManager.default.contents(atPath: path) { Parsers.run(Array(data)) }
            }
        #endif
    }
}
