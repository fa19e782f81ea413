import Foundation

/// What a FAISS file was built from, saved beside it as `vectors-g<generation>.stamp`: the
/// identity of the LMDB environment (a random id made with the index), the generation, and a
/// checksum of the file's every byte. A cache is trusted only when all three match: garbled
/// vector bytes or ids fail the checksum, and a file left from an index that was deleted and
/// made again (whose generations restart) fails the identity, where the generation alone
/// would have kept serving old vectors.
struct CacheStamp: Codable, Equatable {
    var index: String
    var generation: UInt64
    var checksum: String
    var bytes: UInt64

    /// The stamp at `file` (a cache kind's `stampURL`: vectors-g<generation>.stamp, text-g<generation>.stamp).
    static func read(_ file: URL) -> CacheStamp? {
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        return try? JSONDecoder().decode(CacheStamp.self, from: data)
    }

    /// Stamps the finished, synced cache file `staged` (not yet in place) as `destination`:
    /// the stamp goes in place first, so a cache file never appears without its stamp.
    static func write(describing staged: URL, index: String?, generation: UInt64, to destination: URL, staging: URL) throws {
        let (checksum, bytes) = try checksum(of: staged.path)
        let stamp = CacheStamp(index: index ?? "", generation: generation, checksum: checksum, bytes: bytes)
        try JSONEncoder().encode(stamp).write(to: staging)
        try CacheFileKind.fsync(staging.path)
        guard rename(staging.path, destination.path) == 0 else {
            throw IndexError.unreadable(path: destination.path, reason: "rename: \(String(cString: strerror(errno)))")
        }
    }

    /// Why `file` cannot be trusted for an LMDB environment of id `index`, or nil when it can.
    func problem(file: URL, index expected: String?) -> String? {
        if let expected, index != expected { return "built from another index (its LMDB was made anew)" }
        guard let (sum, size) = try? Self.checksum(of: file.path) else { return "unreadable" }
        if size != bytes || sum != checksum { return "checksum mismatch (the file is damaged)" }
        return nil
    }

    /// A 128-bit hash of every byte of the file and its size, read in 1 MiB blocks.
    static func checksum(of path: String) throws -> (String, UInt64) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw IndexError.unreadable(path: path, reason: "cannot open for reading")
        }
        defer { try? handle.close() }
        var hasher = WordHasher()
        var size: UInt64 = 0
        while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty {
            block.withUnsafeBytes { hasher.add($0) }
            size += UInt64(block.count)
        }
        return (hasher.hex, size)
    }
}

/// Two 64-bit multiply-rotate streams over 8-byte words (the byte-wise FNV of Fingerprint runs
/// at a fraction of the disk's speed; a 2 GB cache is hashed on every open).
struct WordHasher {
    private var a: UInt64 = 0x9E37_79B9_7F4A_7C15
    private var b: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private var count: UInt64 = 0

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var a = self.a, b = self.b
        let words = bytes.count / 8
        for i in 0..<words {
            let w = bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
            a = ((a ^ w) &* 0xFF51_AFD7_ED55_8CCD).rotateLeft(31)
            b = ((b &+ w) &* 0xC4CE_B9FE_1A85_EC53).rotateLeft(27) ^ a
        }
        for i in (words * 8)..<bytes.count {
            a = ((a ^ UInt64(bytes[i])) &* 0xFF51_AFD7_ED55_8CCD).rotateLeft(31)
        }
        self.a = a
        self.b = b
        count &+= UInt64(bytes.count)
    }

    var hex: String { String(format: "%016llx%016llx", a ^ count, b) }
}

extension UInt64 {
    fileprivate func rotateLeft(_ n: UInt64) -> UInt64 { (self << n) | (self >> (64 - n)) }
}
