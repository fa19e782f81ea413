import Foundation

/// Checks an LMDB data file before LMDB maps it. LMDB trusts its file: one cut short (a copy
/// that stopped, `truncate`, a full disk outside LMDB's own writes) is mapped past its end and the
/// first read of a missing page is a SIGBUS; an emptied one would be taken for a new environment.
/// Both meta pages are read here; the newer valid one must name a last page inside the file.
enum LMDBFileCheck {
    static let magic: UInt32 = 0xBEEF_C0DE
    // Byte offsets in a meta page (lmdb/mdb.c): a 16-byte page header, then MDB_meta: magic,
    // version, address, map size, two 48-byte MDB_db records (the first one's pad holds the page
    // size), the last used page number, the transaction id.
    static let magicOffset = 16, pageSizeOffset = 40, lastPageOffset = 136, txnOffset = 144

    struct Failure: Error { let reason: String }

    /// Throws IndexError.corrupt naming the data file when it cannot be a sound environment.
    /// A missing data file is fine unless `mustExist`.
    static func check(directory: String, mustExist: Bool) throws {
        let file = directory + "/data.mdb"
        guard FileManager.default.fileExists(atPath: file) else {
            if mustExist { throw IndexError.noIndex(path: directory) }
            return
        }
        do {
            try verify(file)
        } catch let failure as Failure {
            throw IndexError.corrupt(path: file, reason: failure.reason + "; move it aside and re-index, or restore it from a backup")
        }
    }

    static func verify(_ file: String) throws {
        let fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw IndexError.unreadable(path: file, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw IndexError.unreadable(path: file, reason: String(cString: strerror(errno))) }
        let size = Int(info.st_size)
        if size == 0 { throw Failure(reason: "the data file is empty") }
        var first = [UInt8](repeating: 0, count: 160)
        guard pread(fd, &first, first.count, 0) == first.count else { throw Failure(reason: "the data file is only \(size) bytes") }
        let pageSize = Int(load(UInt32.self, first, pageSizeOffset))
        guard [4096, 8192, 16384, 32768, 65536].contains(pageSize), size >= 2 * pageSize else {
            throw Failure(reason: "the data file (\(size) bytes) has no valid meta pages")
        }
        var second = [UInt8](repeating: 0, count: 160)
        guard pread(fd, &second, second.count, off_t(pageSize)) == second.count else { throw Failure(reason: "the second meta page is unreadable") }
        let metas = [first, second].filter { load(UInt32.self, $0, magicOffset) == magic }
        guard let newest = metas.max(by: { load(UInt64.self, $0, txnOffset) < load(UInt64.self, $1, txnOffset) }) else {
            throw Failure(reason: "not an LMDB data file (no meta page has LMDB's magic number)")
        }
        let lastPage = load(UInt64.self, newest, lastPageOffset)
        let (needed, overflow) = (lastPage &+ 1).multipliedReportingOverflow(by: UInt64(pageSize))
        if overflow || needed > UInt64(size) {
            throw Failure(
                reason: "the data file is cut short: \(size) bytes, its last committed page ends at byte \(overflow ? "(overflow)" : String(needed))")
        }
    }

    static func load<T: FixedWidthInteger>(_ type: T.Type, _ bytes: [UInt8], _ offset: Int) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { raw in
            for i in 0..<MemoryLayout<T>.size { raw[i] = bytes[offset + i] }
        }
        return T(littleEndian: value)
    }
}
