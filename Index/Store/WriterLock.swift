import Foundation

/// The one-writer-at-a-time lock: an flock on `writer.lock` in the index directory, holding the
/// writer's pid. The kernel drops the lock when its process dies (even by kill -9), so a lock
/// left by a dead process is simply taken over.
///
/// Opened with O_NOFOLLOW and checked to be a regular file before anything is written to it: a
/// link planted as `writer.lock` would otherwise have its target truncated.
final class WriterLock {
    private let fd: Int32

    init(directory: String) throws {
        let path = directory + "/writer.lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0o644)
        guard fd >= 0 else {
            let reason = errno == ELOOP ? IndexFiles.symlinkReason : String(cString: strerror(errno))
            throw IndexError.unreadable(path: path, reason: reason)
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw IndexError.unreadable(path: path, reason: "not a regular file")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            // A writer that has just taken the lock writes its pid a moment later: wait for it
            // briefly rather than name pid 0.
            var pid: Int32 = 0
            for _ in 0..<20 where pid == 0 {
                var buffer = [UInt8](repeating: 0, count: 32)
                let n = pread(fd, &buffer, buffer.count, 0)
                pid = Int32(String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
                if pid == 0 { usleep(10_000) }
            }
            close(fd)
            throw IndexError.locked(path: directory, pid: pid)
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, text, text.count, 0)
    }

    deinit {
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
    }
}
