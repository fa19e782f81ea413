import Foundation

/// A whole file mapped read-only, for the weights readers (SafeTensorsFile, ZipArchive): a missing
/// file and an unreadable one are told apart in the error, and the mapping lives as long as this.
final class MappedFile {
    let base: UnsafeMutableRawPointer
    let length: Int

    /// `minimum`: the fewest bytes the format can have, with the reason a shorter file is malformed.
    init(path: String, minimum: Int, tooShort: (Int) -> ModelError) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            if errno == ENOENT { throw ModelError.missingFile(path: path) }
            throw ModelError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ModelError.unreadableFile(path: path, reason: String(cString: strerror(errno))) }
        let size = Int(info.st_size)
        guard size >= minimum else { throw tooShort(size) }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw ModelError.unreadableFile(path: path, reason: "mmap: \(String(cString: strerror(errno)))")
        }
        base = mapped
        length = size
    }

    deinit { munmap(base, length) }
}
