import Foundation

/// The files an index folder holds, and the rule that none of them is ever reached through a
/// symbolic link: a link planted inside the folder (as `writer.lock`, `lmdb/data.mdb`, a FAISS
/// file) would make vidsearch read, truncate or overwrite whatever it points to. The folder
/// itself may be a link (the user named it); what is inside may not.
enum IndexFiles {
    static let symlinkReason = "is a symbolic link; vidsearch never follows links inside an index folder"

    /// Throws for the first entry of `directory` or its `lmdb` folder that is a symbolic link,
    /// or that is not a regular file where one is expected.
    static func checkNoLinks(in directory: URL) throws {
        for folder in [directory, directory.appendingPathComponent("lmdb")] {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
            for name in names {
                let path = folder.appendingPathComponent(name).path
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                let kind = info.st_mode & S_IFMT
                if kind == S_IFLNK { throw IndexError.unreadable(path: path, reason: symlinkReason) }
                if name == "lmdb" && folder == directory { continue }
                if kind != S_IFREG, name == "writer.lock" || name.hasSuffix(".mdb") || name.hasPrefix("vectors") {
                    throw IndexError.unreadable(path: path, reason: "not a regular file")
                }
            }
        }
        var info = stat()
        let lmdb = directory.appendingPathComponent("lmdb").path
        if lstat(lmdb, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR {
            throw IndexError.unreadable(path: lmdb, reason: (info.st_mode & S_IFMT) == S_IFLNK ? symlinkReason : "not a folder")
        }
    }

    /// Creates the index folder (and its parents) or says plainly why it cannot be one.
    static func createFolder(_ directory: URL) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isFolder) {
            if !isFolder.boolValue { throw IndexError.unreadable(path: directory.path, reason: "not a folder (an index is a folder)") }
            return
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            let reason = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError).map { String(cString: strerror(Int32($0.code))) }
            throw IndexError.unreadable(path: directory.path, reason: "cannot create the index folder (\(reason ?? "\(error)"))")
        }
    }
}
