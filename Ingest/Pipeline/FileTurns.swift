import Foundation

/// The decoders' shares of a run: the next file to decode, and whether a decoder is the last to stop.
final class FileTurns {
    private let lock = NSLock()
    private let files: Int
    private var upcoming = 0, decoding: Int

    init(files: Int, decoders: Int) {
        self.files = files
        decoding = decoders
    }

    func next() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard upcoming < files else { return nil }
        upcoming += 1
        return upcoming - 1
    }

    /// True for the last decoder to finish (it closes the queue).
    func decoderDone() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        decoding -= 1
        return decoding == 0
    }
}
