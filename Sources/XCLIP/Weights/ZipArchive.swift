import Foundation

/// The stored (uncompressed) members of a ZIP archive, memory-mapped: what `torch.save` writes
/// (PyTorch's zip format stores every member uncompressed, 64-byte aligned). Reads the central
/// directory, ZIP64 included (checkpoints over 4 GB); a compressed member is refused, never
/// inflated, and every offset is checked against the file's size.
final class ZipArchive {
    struct Member {
        /// Offset of the member's bytes in the file, and their count.
        let offset: Int
        let size: Int
    }

    let path: String
    private(set) var members: [String: Member] = [:]
    private let file: MappedFile
    private var base: UnsafeMutableRawPointer { file.base }
    private var length: Int { file.length }

    init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path, minimum: 22) { Self.malformed(path, "\($0) bytes is too short for a ZIP archive") }
        try readDirectory()
    }

    /// A member's bytes, valid while the archive is alive.
    func bytes(_ member: Member) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + member.offset, count: member.size)
    }

    static func malformed(_ path: String, _ reason: String) -> ModelError {
        .malformedFile(path: path, reason: "PyTorch checkpoint: \(reason)")
    }

    private func u16(_ at: Int) -> Int { Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt16.self))) }
    private func u32(_ at: Int) -> Int { Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt32.self))) }
    private func u64(_ at: Int) throws -> Int {
        let value = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self))
        guard value <= UInt64(Int.max) else { throw Self.malformed(path, "an offset of \(value) bytes") }
        return Int(value)
    }

    private func readDirectory() throws {
        // The end-of-central-directory record: its signature within the last 64 KiB + 22 bytes.
        var end = -1
        for at in stride(from: length - 22, through: max(0, length - 22 - 65_535), by: -1) where u32(at) == 0x0605_4b50 {
            end = at
            break
        }
        guard end >= 0 else { throw Self.malformed(path, "not a ZIP archive (no end of central directory)") }
        var count = u16(end + 10), directorySize = u32(end + 12), directoryOffset = u32(end + 16)
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: the locator just before the record points at the ZIP64 end record.
            guard end >= 20, u32(end - 20) == 0x0706_4b50 else { throw Self.malformed(path, "ZIP64 sizes without a ZIP64 locator") }
            let record = try u64(end - 20 + 8)
            guard record >= 0, record + 56 <= length, u32(record) == 0x0606_4b50 else { throw Self.malformed(path, "a broken ZIP64 end record") }
            count = try u64(record + 32)
            directorySize = try u64(record + 40)
            directoryOffset = try u64(record + 48)
        }
        guard directoryOffset >= 0, directorySize >= 0, directoryOffset + directorySize <= length else {
            throw Self.malformed(path, "the central directory runs past the end of the file (cut short?)")
        }
        var at = directoryOffset
        for _ in 0..<count {
            guard at + 46 <= length, u32(at) == 0x0201_4b50 else { throw Self.malformed(path, "a broken central directory entry") }
            let method = u16(at + 10)
            var compressed = u32(at + 20), size = u32(at + 24)
            let nameLength = u16(at + 28), extraLength = u16(at + 30), commentLength = u16(at + 32)
            var local = u32(at + 42)
            guard at + 46 + nameLength + extraLength + commentLength <= length else {
                throw Self.malformed(path, "a central directory entry runs past the end")
            }
            let name = String(decoding: UnsafeRawBufferPointer(start: base + at + 46, count: nameLength), as: UTF8.self)
            // ZIP64 extra field: the full sizes and offset, in this order, for those that overflowed.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = u16(extra), fieldLength = u16(extra + 2)
                if id == 0x0001 {
                    var field = extra + 4
                    if size == 0xFFFF_FFFF, field + 8 <= extraEnd {
                        size = try u64(field)
                        field += 8
                    }
                    if compressed == 0xFFFF_FFFF, field + 8 <= extraEnd {
                        compressed = try u64(field)
                        field += 8
                    }
                    if local == 0xFFFF_FFFF, field + 8 <= extraEnd { local = try u64(field) }
                }
                extra += 4 + fieldLength
            }
            guard method == 0, compressed == size else {
                throw Self.malformed(path, "member \(name) is compressed (method \(method)); torch.save stores members uncompressed")
            }
            guard local >= 0, local + 30 <= length, u32(local) == 0x0403_4b50 else {
                throw Self.malformed(path, "member \(name) has no local header")
            }
            let offset = local + 30 + u16(local + 26) + u16(local + 28)
            guard offset + size <= length else {
                throw Self.malformed(path, "member \(name) runs past the end of the \(length)-byte file (cut short?)")
            }
            members[name] = Member(offset: offset, size: size)
            at += 46 + nameLength + extraLength + commentLength
        }
    }
}
