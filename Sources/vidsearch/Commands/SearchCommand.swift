import ArgumentParser
import CommandSupport
import Foundation
import Ingest
import Query
import VideoIndex

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find the segments that match a description.",
        discussion: """
            Two signals, fused. The pictures: the best candidates from the vector index are \
            reranked with X-CLIP's video-specific prompt (the text embedding adapted to each \
            candidate video), as the model was trained. The words said: subtitle streams, and \
            .srt/.vtt/Whisper .json files beside the videos, searched as full text (BM25). The two \
            ranked lists are fused by reciprocal rank: a segment both find ranks above one that \
            either finds alone. "Quoted words" must appear in a line exactly; other words are \
            alternatives. --visual or --speech uses one signal.

            Scores: cosine similarities in [-1, 1] where only the pictures ranked (always, in an \
            index without subtitles); with a line matched, the fused score (sum of 1/(60 + rank)). \
            Each hit says why it matched: the line, with the matched words in [brackets], and/or \
            the visual score.

            Exit status: 0 ok (also when nothing matches), 2 empty or unreadable query, 3 index or model error.

            Examples:
              vidsearch search "a dog catching a frisbee"
              vidsearch search '"good boy" a dog running'             # a spoken phrase and the pictures
              vidsearch search "frisbee" --speech                     # only what is said
              vidsearch search "a red circle moving left" -k 5 --per-video
              vidsearch search "someone opening a door" --json | jq .path
              vidsearch search "a dog" --index /data/shard1 --index /data/shard2
              vidsearch search "a dog" --path ~/footage/2024          # only videos in that folder
              vidsearch search "a dog" --path '*/park/*.mp4'          # or matching a glob
              vidsearch search "a dog" --after 2024-05-01 --before 2024-05-31 --min-duration 10
              vidsearch search --like 1234                            # segments like segment 1234
              vidsearch search --like ~/footage/dog.mp4@12.5          # like that moment of an indexed file
              vidsearch search --image photo.jpg                      # like a photo (or any clip), encoded now
            """
    )

    @OptionGroup var options: SearchIndexOptions

    @OptionGroup var products: PrecisionOption

    @Argument(help: "What to look for, in plain words.")
    var query: String?

    @Option(help: "Run every line of this file as a query (with --json each hit carries its query).")
    var queries: String?

    @Option(name: .short, help: "Results to show.")
    var k: Int = 10

    @Option(help: "Candidates taken from the vector index for reranking.")
    var candidates: Int = 100

    @Flag(help: "Skip the video-specific prompt rerank (first stage only).")
    var noRerank = false

    @Flag(
        help:
            "Each video's moments: the run of segments around its best hit that stay near that peak (and a second run that rises as high), not every hit."
    )
    var perVideo = false

    @Flag(help: "Only the pictures (X-CLIP), not the words said.")
    var visual = false

    @Flag(help: "Only the words said (subtitles and transcripts), not the pictures.")
    var speech = false

    @Option(help: "Write each hit's thumbnail JPEG into this folder (named rank-N.jpg).")
    var thumbnails: String?

    @Flag(help: "One JSON object per hit on its own line.")
    var json = false

    @Option(help: "Only videos under this folder, or whose path matches this glob (*, ?, [...]).")
    var path: String?

    @Option(help: "Only videos made on or after this date (creation_time, else the file's mtime): 2024-05-01 or 2024-05-01T12:00:00Z.")
    var after: String?

    @Option(help: "Only videos made on or before this date (a day alone includes that whole day).")
    var before: String?

    @Option(help: "Only videos at least this many seconds long.")
    var minDuration: Double?

    @Option(help: "Only videos at most this many seconds long.")
    var maxDuration: Double?

    @Option(help: "Instead of a text: segments like this one (a segment id, or an indexed FILE[@SECONDS]).")
    var like: String?

    @Option(help: "Instead of a text: segments like this photo or clip (encoded as ingest encodes footage).")
    var image: String?

    func validate() throws {
        let given = [query != nil, queries != nil, like != nil, image != nil].filter { $0 }.count
        if given == 0 { throw ValidationError("give a query (or --queries FILE, --like SEGMENT, --image PHOTO)") }
        if given > 1 { throw ValidationError("give one of a query, --queries FILE, --like SEGMENT and --image PHOTO") }
        if visual && speech { throw ValidationError("--visual and --speech together are the default: give one, or neither") }
        if speech && (like != nil || image != nil) { throw ValidationError("--speech searches words: it needs a text query, not --like or --image") }
        try Limits.check(k, "-k", 1...Limits.maxResults)
        try Limits.check(candidates, "--candidates", 1...Limits.maxResults)
        if let after, RecordingDate.parse(after) == nil { throw ValidationError("--after \(after): not a date (2024-05-01 or 2024-05-01T12:00:00Z)") }
        if let before, RecordingDate.parse(before) == nil {
            throw ValidationError("--before \(before): not a date (2024-05-01 or 2024-05-01T12:00:00Z)")
        }
    }

    func run() throws {
        products.apply()
        let texts: [String]
        if like != nil || image != nil {
            texts = []
        } else if let queries {
            guard let content = try? String(contentsOfFile: queries, encoding: .utf8) else {
                Output.error("\(queries): cannot read the queries file")
                throw ExitCodes.usage
            }
            texts = content.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            guard !texts.isEmpty else {
                Output.error("\(queries): no queries in the file (one query per line)")
                throw ExitCodes.usage
            }
        } else {
            texts = [query!]
        }
        // One model, one engine per index; a query's hits from all of them ranked together (the
        // scores are per segment, so several shards rank as one index holding everything would).
        var example: LikeSource?
        let engines = try withIndexOrModel { () -> [SearchEngine] in
            let loaded = try LoadedModel(options.model)
            if let image {
                let pipeline = try IngestPipeline(
                    model: loaded.model, preprocessor: try loaded.preprocessor(), options: ExampleEncoder.pipelineOptions)
                do {
                    example = LikeSource(embedding: try ExampleEncoder.encode(path: image, pipeline: pipeline).embedding, path: "", start: 0, end: 0)
                } catch {
                    Output.error("\(image): \(error)")
                    throw ExitCodes.usage
                }
            }
            let tokenizer = try loaded.tokenizer()
            return try options.indexDirectories.map { directory in
                let store = try IndexStore(readingAt: directory, model: loaded.identity)
                let engine = try SearchEngine(model: loaded.model, tokenizer: tokenizer, store: store)
                if let notice = engine.vectors.notice, !json { Output.error(notice) }
                if let notice = engine.text.notice, !json { Output.error(notice) }
                if !loaded.model.reranks, !noRerank, !json, directory == options.indexDirectories.first {
                    Output.error(
                        "note: \(loaded.directory.lastPathComponent) is a CLIP checkpoint: no video-specific prompt, so no rerank (scores are CLIP-mean cosines)"
                    )
                }
                return engine
            }
        }
        let searchOptions = SearchOptions(
            k: k, candidates: candidates, rerank: !noRerank, perVideo: perVideo,
            thumbnails: thumbnails != nil, paths: path.map(PathFilter.init),
            videos: VideoFilter(
                after: after.flatMap { RecordingDate.bound($0, endOfDay: false) },
                before: before.flatMap { RecordingDate.bound($0, endOfDay: true) },
                minDuration: minDuration, maxDuration: maxDuration),
            signals: visual ? .visualOnly : speech ? .speechOnly : .both)
        func ranked(_ all: [SearchResult]) -> [SearchResult] {
            Array(all.sorted { ($0.score, $1.path, $1.start) > ($1.score, $0.path, $0.start) }.prefix(k))
        }
        if like != nil || example != nil {
            let results = try withIndexOrModel { () -> [SearchResult] in
                let source = try example ?? likeSource(like!, engines: engines)
                return ranked(try engines.flatMap { try $0.similar(to: source, options: searchOptions) })
            }
            show(results, for: like ?? image!, labelled: false)
        }
        var failed = 0
        for text in texts {
            // In a batch a query that cannot run is reported with its line and the rest go on (exit 1).
            guard queries != nil else {
                show(try withIndexOrModel { ranked(try engines.flatMap { try $0.search(text, options: searchOptions) }) }, for: text, labelled: false)
                continue
            }
            do {
                show(ranked(try engines.flatMap { try $0.search(text, options: searchOptions) }), for: text, labelled: true)
            } catch let error as QueryError {
                Output.error("\(queries!): query \"\(text.prefix(60))\": \(error)")
                failed += 1
            }
        }
        if failed > 0 { throw ExitCodes.someFailed }
    }

    /// `--like`: a segment id (of the first index holding it), or FILE[@SECONDS] of an indexed file.
    private func likeSource(_ value: String, engines: [SearchEngine]) throws -> LikeSource {
        if let id = Int64(value) {
            for engine in engines { if let source = try engine.likeSource(segment: id) { return source } }
            throw QueryError.noSegment(id)
        }
        var file = value, seconds = 0.0
        if let at = value.lastIndex(of: "@"), let time = Double(value[value.index(after: at)...]) {
            file = String(value[..<at])
            seconds = time
        }
        let path = URL(fileURLWithPath: file).standardizedFileURL.path
        for engine in engines { if let source = try engine.likeSource(path: path, seconds: seconds) { return source } }
        throw QueryError.notIndexed(path)
    }

    private func show(_ results: [SearchResult], for text: String, labelled: Bool) {
        if let folder = thumbnails {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (rank, hit) in results.enumerated() {
                if let jpeg = hit.thumbnail { _ = FileManager.default.createFile(atPath: "\(folder)/rank-\(rank + 1).jpg", contents: Data(jpeg)) }
            }
        }
        if json {
            for (rank, hit) in results.enumerated() {
                var object: [String: Any] = [
                    "rank": rank + 1, "score": Double(hit.score), "path": hit.path, "start": hit.start,
                    "end": hit.end, "segment": hit.segmentId,
                ]
                if labelled { object["query"] = text }
                object["signals"] = hit.signals
                if let visual = hit.visualScore { object["visual_score"] = Double(visual) }
                if let line = hit.speech { object["speech"] = line.json }
                if let folder = thumbnails, hit.thumbnail != nil { object["thumbnail"] = "\(folder)/rank-\(rank + 1).jpg" }
                Output.json(object)
            }
            return
        }
        if labelled { print("\n\(text)") }
        if results.isEmpty {
            print(speech ? "no line matches" : path == nil ? "no matches (the index is empty)" : "no matches under \(path!)")
            return
        }
        print("rank  score   time             path")
        for (rank, hit) in results.enumerated() {
            let range = "\(Formatting.time(hit.start, precise: true))-\(Formatting.time(hit.end, precise: true))"
            print("\(Formatting.pad(String(rank + 1), 4))  \(String(format: "%.3f", hit.score))  \(Formatting.pad(range, 15))  \(hit.path)")
            if let line = hit.speech {
                // The line that matched, the found words in brackets, where it is said.
                let marked = line.parts.enumerated().map { $0.offset % 2 == 1 ? "[\($0.element)]" : $0.element }.joined()
                let language = line.language.map { ", \($0)" } ?? ""
                let visual = hit.visualScore.map { String(format: "; visual %.3f", $0) } ?? ""
                print(
                    "      \"\(marked)\" (said \(Formatting.time(line.start, precise: true))-\(Formatting.time(line.end, precise: true))\(language)\(visual))"
                )
            }
        }
    }
}
