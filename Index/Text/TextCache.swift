import Foundation

/// The full-text side of the index: a SQLite FTS5 table of every subtitle and transcript cue,
/// a rebuildable cache of LMDB's "subtitles" database kept as `text-g<generation>.sqlite` beside
/// the LMDB environment, stamped and trusted exactly as the vector cache is (CacheStamp: the
/// environment's id, the generation, a checksum of every byte).
///
/// - FTS5 with the unicode61 tokenizer and diacritics removed ("café" finds "cafe"), BM25
///   ranking, phrase and prefix queries (TextQuery).
/// - Each cue row holds its video, times, language and the segments it overlaps (assigned
///   when the row is made, from the video's segment records). Row ids are the video id
///   shifted left 20 bits plus the cue's place, so one video's rows are one range.
/// - Opened from its file while it is current; otherwise loaded into memory and caught up
///   (videos whose text digest moved are read again) or rebuilt from LMDB, with one notice.
///   A writer saves it (SQLite's `VACUUM INTO` a temporary file, fsync, stamp, rename).
///
/// Thread safety: one connection in SQLite's serialized mode; searches may run from any thread.
public final class TextCache {
    public let generation: UInt64
    /// What happened on open, for the one-line notice ("rebuilt: ...").
    public let notice: String?
    let database: SQLiteDatabase
    /// Read from the file of its generation unchanged: nothing to save.
    private let saved: Bool
    private let indexId: String?

    static let cueBits: Int64 = 20
    static let maxCuesPerVideo = 1 << 20

    private init(database: SQLiteDatabase, generation: UInt64, notice: String?, saved: Bool, indexId: String?) {
        self.database = database
        self.generation = generation
        self.notice = notice
        self.saved = saved
        self.indexId = indexId
    }

    // MARK: Opening

    public static func open(_ store: IndexStore) throws -> TextCache {
        let target = store.meta.generation
        let (file, generation) = newestFile(in: store.directory)
        guard let file else {
            let hasText = try store.videos().contains { ($0.subtitles?.cues ?? 0) > 0 }
            return try rebuild(store, notice: hasText && !store.createdNow ? "text cache missing: rebuilt from LMDB" : nil)
        }
        let distrust: String?
        if generation > target {
            distrust = "is at generation \(generation), ahead of the index's \(target)"
        } else if let stamp = CacheStamp.read(stampURL(in: store.directory, generation: generation)) {
            distrust =
                stamp.generation != generation
                ? "has another generation's stamp"
                : stamp.problem(file: file, index: store.meta.indexId).map { "is \($0)" }
        } else {
            distrust = "has no stamp (its stamp was lost)"
        }
        if let distrust { return try rebuild(store, notice: "text cache \(file.lastPathComponent) \(distrust): rebuilt from LMDB") }
        do {
            if generation == target {
                let database = try SQLiteDatabase(path: "file:\(file.path)?immutable=1", readOnly: true)
                try database.execute("SELECT count(*) FROM videos")  // a file that is not ours fails here
                // Read through a memory map: a common word's list spans many pages, and through
                // SQLite's own 2 MB page cache they were read again on every query.
                try database.execute("PRAGMA mmap_size = 1073741824")
                return TextCache(database: database, generation: generation, notice: nil, saved: true, indexId: store.meta.indexId)
            }
            let database = try SQLiteDatabase.inMemory(copying: try Data(contentsOf: file))
            let (read, dropped) = try catchUp(database, store)
            return TextCache(
                database: database, generation: target,
                notice: "text cache was at generation \(generation), index at \(target): caught up (\(read) videos read, \(dropped) dropped)",
                saved: false, indexId: store.meta.indexId)
        } catch {
            return try rebuild(store, notice: "text cache \(file.lastPathComponent) unreadable (\(error)): rebuilt from LMDB")
        }
    }

    /// A fresh cache in memory of every cue in LMDB.
    public static func rebuild(_ store: IndexStore, notice: String? = nil) throws -> TextCache {
        let database = try SQLiteDatabase(path: ":memory:")
        try createTables(database)
        _ = try catchUp(database, store)
        return TextCache(database: database, generation: store.meta.generation, notice: notice, saved: false, indexId: store.meta.indexId)
    }

    /// This cache brought up to the index's generation (after a commit by this process or a
    /// watcher beside it): what a watching server searches next.
    public func caughtUp(_ store: IndexStore) throws -> TextCache {
        guard store.meta.generation != generation else { return self }
        if !saved {  // in memory already: caught up in place
            _ = try Self.catchUp(database, store)
            return TextCache(database: database, generation: store.meta.generation, notice: nil, saved: false, indexId: store.meta.indexId)
        }
        // Copied through a temporary file: the file-backed connection is read-only.
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("vidsearch-text-\(getpid())-\(UUID().uuidString).sqlite")
        defer { try? FileManager.default.removeItem(at: temporary) }
        try database.execute("VACUUM INTO '\(Self.escaped(temporary.path))'")
        let copy = try SQLiteDatabase.inMemory(copying: try Data(contentsOf: temporary))
        _ = try Self.catchUp(copy, store)
        return TextCache(database: copy, generation: store.meta.generation, notice: nil, saved: false, indexId: store.meta.indexId)
    }

    static func createTables(_ database: SQLiteDatabase) throws {
        try database.execute(
            """
            CREATE TABLE videos(id INTEGER PRIMARY KEY, digest TEXT NOT NULL);
            CREATE VIRTUAL TABLE cues USING fts5(text, video UNINDEXED, start UNINDEXED, end UNINDEXED,
                language UNINDEXED, segments UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');
            """)
    }

    /// Brings `database` to what LMDB holds: rows of videos gone or with another text digest go,
    /// the cues of videos new or changed come in. One transaction.
    static func catchUp(_ database: SQLiteDatabase, _ store: IndexStore) throws -> (read: Int, dropped: Int) {
        var held: [Int64: String] = [:]
        let list = try database.prepare("SELECT id, digest FROM videos")
        while try list.step() { held[list.int(0)] = list.text(1) ?? "" }
        var wanted: [Int64: (VideoRecord, String)] = [:]
        for video in try store.videos() where video.status == .indexed {
            wanted[Int64(video.id)] = (video, video.subtitles?.digest ?? "")
        }
        return try database.transaction {
            let deleteRows = try database.prepare("DELETE FROM cues WHERE rowid BETWEEN ? AND ?")
            let deleteVideo = try database.prepare("DELETE FROM videos WHERE id = ?")
            let insertVideo = try database.prepare("INSERT INTO videos(id, digest) VALUES (?, ?)")
            let insertCue = try database.prepare("INSERT INTO cues(rowid, text, video, start, end, language, segments) VALUES (?, ?, ?, ?, ?, ?, ?)")
            var dropped = 0, read = 0
            for (id, digest) in held where wanted[id]?.1 != digest {
                deleteRows.bind(1, id << cueBits)
                deleteRows.bind(2, (id << cueBits) + Int64(maxCuesPerVideo - 1))
                try deleteRows.run()
                deleteVideo.bind(1, id)
                try deleteVideo.run()
                dropped += 1
            }
            for (id, (video, digest)) in wanted.sorted(by: { $0.key < $1.key }) where held[id] != digest {
                insertVideo.bind(1, id)
                insertVideo.bind(2, digest)
                try insertVideo.run()
                read += 1
                guard (video.subtitles?.cues ?? 0) > 0, let subtitles = try store.subtitles(videoId: video.id) else { continue }
                let segments = try store.segments(of: video)
                for (place, cue) in subtitles.cues.prefix(maxCuesPerVideo).enumerated() {
                    insertCue.bind(1, (id << cueBits) + Int64(place))
                    insertCue.bind(2, cue.text)
                    insertCue.bind(3, id)
                    insertCue.bind(4, cue.start)
                    insertCue.bind(5, cue.end)
                    insertCue.bind(6, subtitles.language(of: cue))
                    insertCue.bind(7, overlapping(cue, segments).map(String.init).joined(separator: " "))
                    try insertCue.run()
                }
            }
            return (read, dropped)
        }
    }

    /// The segments a cue is shown over (any overlap); a cue in no segment's span (after the
    /// last one, or in a gap) belongs to the nearest.
    static func overlapping(_ cue: SubtitleCue, _ segments: [SegmentRecord]) -> [Int64] {
        let hit = segments.filter { $0.start < cue.end && cue.start < $0.end }.map(\.id)
        if !hit.isEmpty || segments.isEmpty { return hit }
        let middle = (cue.start + cue.end) / 2
        let nearest = segments.min { distance(middle, $0) < distance(middle, $1) }!
        return [nearest.id]
    }

    private static func distance(_ t: Double, _ segment: SegmentRecord) -> Double {
        t < segment.start ? segment.start - t : t > segment.end ? t - segment.end : 0
    }

    // MARK: Saving

    /// Writes the cache as the file of its generation, atomically, and removes older ones.
    /// Nothing to do when it was opened from that file.
    public func save(in directory: URL) throws {
        if saved { return }
        // One b-tree per term rather than one per batch of inserts: a term's list is then read
        // in one pass (FTS5's 'optimize').
        try database.execute("INSERT INTO cues(cues) VALUES('optimize')")
        let temporary = directory.appendingPathComponent("text.tmp-\(getpid())")
        try? FileManager.default.removeItem(at: temporary)
        try database.execute("VACUUM INTO '\(Self.escaped(temporary.path))'")
        try Self.files.publish(temporary, generation: generation, indexId: indexId, in: directory)
    }

    /// text-g<generation>.sqlite and its .stamp.
    static let files = CacheFileKind(
        prefix: "text-g", suffix: ".sqlite", companions: [".stamp"],
        temporaries: ["text.tmp-", "text-stamp.tmp-"], stampStaging: "text-stamp.tmp-")

    static func stampURL(in directory: URL, generation: UInt64) -> URL {
        files.stampURL(in: directory, generation: generation)
    }

    static func newestFile(in directory: URL) -> (URL?, UInt64) { files.newest(in: directory) }

    static func escaped(_ path: String) -> String { path.replacingOccurrences(of: "'", with: "''") }

    // MARK: Searching

    /// Lines held, counted once (FTS5 counts by reading every row).
    private lazy var lines: Int = (try? count()) ?? 0
    /// Below this many lines no word is common: a small archive ranks every query.
    static let commonTermMinimumLines = 10_000
    private var lineFrequencies: [String: Int] = [:]
    private let frequencyLock = NSLock()

    /// Whether a query word is in more than 1% of the lines (every one of its tokens is).
    func isCommon(_ word: String) throws -> Bool {
        frequencyLock.lock()
        defer { frequencyLock.unlock() }
        guard lines >= Self.commonTermMinimumLines, !word.hasSuffix("*") else { return false }
        let tokens = TextQuery.tokens(word)
        guard !tokens.isEmpty else { return false }
        if lineFrequencies.isEmpty { try database.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.terms USING fts5vocab(main, cues, 'row')") }
        for token in tokens {
            if lineFrequencies[token] == nil {
                let statement = try database.prepare("SELECT doc FROM temp.terms WHERE term = ?")
                statement.bind(1, token)
                lineFrequencies[token] = try statement.step() ? Int(statement.int(0)) : 0
            }
            if lineFrequencies[token]! * 100 <= lines { return false }
        }
        return true
    }

    /// Cues held.
    public func count() throws -> Int {
        let statement = try database.prepare("SELECT count(*) FROM cues")
        return try statement.step() ? Int(statement.int(0)) : 0
    }

    /// The best `limit` cues for `query` by BM25, best first, from `offset` on.
    public func search(_ query: TextQuery, limit: Int, offset: Int = 0) throws -> [CueHit] {
        guard limit > 0, let (expression, ranked) = try query.plan(isCommon: isCommon) else { return [] }
        let statement = try database.prepare(
            """
            SELECT rowid, video, start, end, language, segments, highlight(cues, 0, char(2), char(3)), bm25(cues), text
            FROM cues WHERE cues MATCH ? \(ranked ? "ORDER BY rank" : "") LIMIT ? OFFSET ?
            """)
        statement.bind(1, expression)
        statement.bind(2, Int64(limit))
        statement.bind(3, Int64(offset))
        var hits: [CueHit] = []
        while try statement.step() {
            hits.append(
                CueHit(
                    videoId: UInt64(statement.int(1)), cue: Int(statement.int(0) & Int64(Self.maxCuesPerVideo - 1)),
                    start: statement.double(2), end: statement.double(3), language: statement.text(4),
                    segments: (statement.text(5) ?? "").split(separator: " ").compactMap { Int64($0) },
                    text: statement.text(8) ?? "", parts: CueHit.parts(statement.text(6) ?? ""),
                    relevance: -statement.double(7)))
        }
        return hits
    }
}

/// One cue that matched a text query.
public struct CueHit: Equatable {
    public var videoId: UInt64
    /// Its place among the video's cues.
    public var cue: Int
    public var start: Double
    public var end: Double
    public var language: String?
    /// The segments it is shown over.
    public var segments: [Int64]
    public var text: String
    /// The text cut at the matched words: unmatched, matched, unmatched, ... (the even places
    /// are plain text, the odd ones the words the query found; joined, they are `text`).
    public var parts: [String]
    /// BM25, higher is better.
    public var relevance: Double

    public init(
        videoId: UInt64, cue: Int, start: Double, end: Double, language: String?, segments: [Int64], text: String,
        parts: [String], relevance: Double
    ) {
        self.videoId = videoId
        self.cue = cue
        self.start = start
        self.end = end
        self.language = language
        self.segments = segments
        self.text = text
        self.parts = parts
        self.relevance = relevance
    }

    static func parts(_ highlighted: String) -> [String] {
        var parts = [""]
        for character in highlighted.unicodeScalars {
            switch character {
            case "\u{2}": if parts.count % 2 == 1 { parts.append("") }
            case "\u{3}": if parts.count % 2 == 0 { parts.append("") }
            default: parts[parts.count - 1].unicodeScalars.append(character)
            }
        }
        return parts
    }
}
