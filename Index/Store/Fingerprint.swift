import Foundation

/// Content fingerprints of video files and models.
///
/// Trade-off: a video's fingerprint hashes its size and three 1 MiB samples (start, middle,
/// end) instead of every byte, so a 4 GB file is fingerprinted in milliseconds, not seconds.
/// It recognizes a moved or renamed file (same bytes) for certain; two different files are
/// taken for one only if they have the same size and the same bytes in all three samples,
/// which edited or re-encoded video practically never does (container headers, indexes and
/// the coded data all sit in those samples). Unchanged files are found first by path, size
/// and mtime, so the fingerprint is computed only for new or changed paths.
public enum Fingerprint {
    static let sampleSize = 1 << 20

    /// A hex fingerprint of the file at `path`.
    public static func file(_ path: String) throws -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            // The system's reason, as the decoder gives it: "permission denied", "no such file".
            throw IndexError.unreadable(path: path, reason: String(cString: strerror(errno)).lowercased())
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        let size = try handle.seekToEnd()
        var hasher = Hasher128()
        hasher.add(withUnsafeBytes(of: size.littleEndian, Array.init))
        let offsets: [UInt64] =
            size <= UInt64(3 * sampleSize)
            ? [0] : [0, size / 2 - UInt64(sampleSize / 2), size - UInt64(sampleSize)]
        for offset in offsets {
            try handle.seek(toOffset: offset)
            let length = size <= UInt64(3 * sampleSize) ? Int(size) : sampleSize
            let data = try handle.read(upToCount: length) ?? Data()
            hasher.add(Array(data))
        }
        return hasher.hex
    }

    /// A hex fingerprint of bytes (used for a model's config and weight samples).
    public static func bytes(_ parts: [[UInt8]]) -> String {
        var hasher = Hasher128()
        for part in parts {
            hasher.add(withUnsafeBytes(of: UInt64(part.count).littleEndian, Array.init))
            hasher.add(part)
        }
        return hasher.hex
    }
}

/// Two independent 64-bit FNV-1a streams: a 128-bit non-cryptographic hash, stable across runs
/// (Swift's Hasher is seeded per process, so it cannot be stored).
struct Hasher128 {
    private var a: UInt64 = 0xcbf2_9ce4_8422_2325
    private var b: UInt64 = 0x6c62_272e_07bb_0142

    mutating func add(_ bytes: [UInt8]) {
        var a = self.a, b = self.b
        for byte in bytes {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            b = (b ^ UInt64(byte ^ 0x5a)) &* 0x0000_0100_0000_01b3 ^ (b >> 29)
        }
        self.a = a
        self.b = b
    }

    var hex: String { String(format: "%016llx%016llx", a, b) }
}
