import CommandSupport
import Dispatch
import Foundation
import Ingest
import Query
import VideoIndex

/// What is said, searched beside what is seen (`vidsearch bench speech`):
///
/// - **Quality**, on generated videos with known subtitles: the 30 sample clips as 10 videos of
///   three 4 s shots (hard cuts between them), one line said in each shot, written as a sidecar
///   SubRip (UTF-8), WebVTT (UTF-16), SubRip (Windows-1252), Whisper JSON, or a SubRip stream
///   inside an MKV, in English, German and French. Each line holds a unique pair of words and
///   one of five place words, given so that clips with the same caption say different places.
///   - exact-phrase queries (`"the pair"`): R@1 (the first hit is the shot the line is said in)
///     and the time error of where a hit plays from (the line's start) against the truth;
///   - combined queries (a shot's caption plus its place word, which only that shot has both
///     of): R@1 fused, pictures alone (`--visual`), words alone (`--speech`).
/// - **Ingest cost**: reading every video's subtitles, against the whole index run.
/// - **Text-search latency** at 100k and 1M cues (generated lines over a Zipf vocabulary,
///   stored through LMDB, cached by FTS5): p50 and p90 per kind of query, the cache's rebuild
///   time and size.
public enum SpeechBenchmark {
    static let places = ["harbour", "garden", "station", "market", "bridge"]
    /// 60 words none of the captions or fillers use: shot i says words[2i] and words[2i + 1].
    static let words = """
        apple violin pepper candle marble saddle walnut lantern pillow ribbon anchor barrel cactus dolphin \
        feather goblet hammock igloo jigsaw kettle ladder mitten nutmeg oyster parrot quiver raisin \
        sandal teapot urchin velvet waffle yogurt zipper almond bonnet cobalt dagger emerald falcon \
        granite hazel ivory juniper kernel lemon mango nickel orchid pebble quartz radish saffron \
        thistle tulip vanilla willow wombat acorn biscuit
        """.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }

    struct Shot {
        var video: String
        var start: Double
        var end: Double
        var caption: String
        var place: String
        var pair: String
        var lineStart: Double
        var lineEnd: Double
    }

    public static func run(report: Report, model flag: String?) throws {
        guard let clips = Defaults.samplesDirectory() else {
            report.skip("speech", "no Samples/demo-clips beside this binary's checkout")
            return
        }
        let labels = SampleLabels.read(clips)
        let files = labels.keys.sorted()
        guard files.count == 30, words.count >= 60 else {
            report.skip("speech", "expected the 30 sample clips (found \(files.count))")
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vidsearch-speech-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let footage = directory.appendingPathComponent("footage")
        try FileManager.default.createDirectory(at: footage, withIntermediateDirectories: true)
        guard let shots = try render(clips: clips, files: files, labels: labels, into: footage) else {
            report.skip("speech", "the ffmpeg tool could not render the videos")
            return
        }
        try quality(report: report, model: flag, footage: footage, index: directory.appendingPathComponent("index"), shots: shots)
        for cues in [100_000, 1_000_000] {
            try latency(report: report, cues: cues, directory: directory.appendingPathComponent("text-\(cues)"))
        }
    }

    /// Renders the 10 videos and their subtitles; the shots in video and time order.
    static func render(clips: URL, files: [String], labels: [String: (caption: String, motion: String)], into footage: URL) throws -> [Shot]? {
        let captions = Set(labels.values.map(\.caption)).sorted()
        var seen: [String: Int] = [:]
        var place: [String: String] = [:]
        for file in files {
            let caption = labels[file]!.caption
            let occurrence = seen[caption, default: 0]
            seen[caption] = occurrence + 1
            place[file] = places[(captions.firstIndex(of: caption)! + occurrence) % places.count]
        }
        var shots: [Shot] = []
        for v in 0..<10 {
            let members = [files[v], files[v + 10], files[v + 20]]
            let style = v % 5
            let name = String(format: "talk-%02d", v)
            let video = footage.appendingPathComponent(name + (style == 3 ? ".mkv" : ".mp4")).path
            var lines: [(Double, Double, String)] = []
            for (k, file) in members.enumerated() {
                let i = files.firstIndex(of: file)!
                let pair = "\(words[2 * i]) \(words[2 * i + 1])"
                let filler = ["", " schöne", " près du", "", ""][style]
                let text = "\(pair)\(filler) \(place[file]!)"
                let start = Double(k) * 4 + 1.2, end = Double(k) * 4 + 2.6
                lines.append((start, end, text))
                shots.append(
                    Shot(
                        video: video, start: Double(k) * 4, end: Double(k) * 4 + 4, caption: labels[file]!.caption,
                        place: place[file]!, pair: pair, lineStart: start, lineEnd: end))
            }
            let srt = lines.enumerated().map { "\($0.offset + 1)\n\(stamp($0.element.0, ",")) --> \(stamp($0.element.1, ","))\n\($0.element.2)\n" }
                .joined(separator: "\n")
            var inputs: [String] = []
            for file in members { inputs += ["-stream_loop", "2", "-i", clips.appendingPathComponent(file).path] }
            let graph =
                (0..<3).map { "[\($0):v]trim=duration=4,setpts=PTS-STARTPTS,scale=256:160,setsar=1,fps=24,format=yuv420p[v\($0)]" }
                .joined(separator: ";") + ";[v0][v1][v2]concat=n=3:v=1:a=0[out]"
            var arguments = ["-hide_banner", "-loglevel", "error", "-y"] + inputs
            var subtitleFile: String?
            if style == 3 {
                subtitleFile = footage.deletingLastPathComponent().appendingPathComponent("\(name).stream.srt").path
                try srt.write(toFile: subtitleFile!, atomically: true, encoding: .utf8)
                arguments += ["-i", subtitleFile!]
            }
            arguments += ["-filter_complex", graph, "-map", "[out]"]
            if style == 3 { arguments += ["-map", "3:s", "-c:s", "srt", "-metadata:s:s:0", "language=eng"] }
            arguments += ["-c:v", "libx264", "-preset", "veryfast", video]
            guard (try? Subprocess.run("ffmpeg", arguments))?.status == 0 else { return nil }
            let base = footage.appendingPathComponent(name)
            switch style {
            case 0: try srt.write(to: base.appendingPathExtension("en.srt"), atomically: true, encoding: .utf8)
            case 1:
                let vtt = "WEBVTT\n\n" + lines.map { "\(stamp($0.0, ".")) --> \(stamp($0.1, "."))\n\($0.2)\n" }.joined(separator: "\n")
                try Data([0xFF, 0xFE] + vtt.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }).write(to: base.appendingPathExtension("de.vtt"))
            case 2: try Data(srt.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }).write(to: base.appendingPathExtension("fr.srt"))  // Latin-1 = CP-1252 here
            case 4:
                let segments = lines.map { ["start": $0.0, "end": $0.1, "text": " " + $0.2] as [String: Any] }
                try JSONSerialization.data(withJSONObject: ["language": "en", "text": "", "segments": segments]).write(
                    to: base.appendingPathExtension("json"))
            default: break
            }
        }
        return shots
    }

    static func stamp(_ seconds: Double, _ separator: String) -> String {
        let ms = Int((seconds * 1000).rounded())
        return String(format: "%02d:%02d:%02d%@%03d", ms / 3_600_000, ms / 60000 % 60, ms / 1000 % 60, separator, ms % 1000)
    }

    static func quality(report: Report, model flag: String?, footage: URL, index: URL, shots: [Shot]) throws {
        let loaded = try LoadedModel(flag)
        let (files, _) = FileWalker.expand([footage.path])
        let run = try TimedIndexRun(files: files, model: loaded, at: index)
        let (store, results, elapsed) = (run.store, run.results, run.seconds)
        let cues = results.compactMap(\.cues).reduce(0, +)
        let reading = Measure.time(repeats: 3) { for file in files { _ = SubtitleReader.read(video: file) } }
        report.add(
            "speech.ingest.subtitle_share", reading.median / elapsed, "fraction", timing: reading,
            note: String(
                format:
                    "reading the subtitles of %d videos (%d cues: 2 sidecars in UTF-8 SubRip, 2 UTF-16 WebVTT, 2 Windows-1252 SubRip, 2 Whisper JSON, 2 SubRip streams in MKV) over the whole index run of them (%.1f s, model %@)",
                files.count, cues, elapsed, loaded.identity.description))

        let engine = try SearchEngine(model: loaded.model, tokenizer: try loaded.tokenizer(), store: store)
        func right(_ hit: SearchResult, _ shot: Shot) -> Bool {
            guard hit.path == shot.video else { return false }
            let middle = (hit.start + hit.end) / 2
            return middle >= shot.start && middle < shot.end
        }
        // Exact phrases.
        for (signals, label) in [(SearchSignals.both, ""), (.speechOnly, ".speech_only")] {
            var recall = Recall()
            var errors: [Double] = []
            for shot in shots {
                let hits = try engine.search("\"\(shot.pair)\"", options: SearchOptions(k: 5, signals: signals))
                recall.add(hits) { right($0, shot) }
                let top = hits.first
                if let line = top?.speech, top?.path == shot.video { errors.append(abs(line.start - shot.lineStart)) }
            }
            report.add(
                "speech.phrase.R@1\(label)", recall.at(1), "fraction",
                note: "\(shots.count) exact-phrase queries (\"two words\" said once), \(signals.name): the first hit is the shot the line is said in")
            if label.isEmpty {
                errors.sort()
                report.add(
                    "speech.phrase.play_error.max", ((errors.last ?? .nan) * 1000).rounded() / 1000, "s",
                    note:
                        "largest distance between where the first hit plays from (its line's start) and when the line is said, over the \(errors.count) first hits in the right video"
                )
            }
        }
        // A caption plus a place word: only one shot has both.
        for (signals, label) in [(SearchSignals.both, "fused"), (.visualOnly, "visual_only"), (.speechOnly, "speech_only")] {
            var recall = Recall()
            for shot in shots {
                recall.add(try engine.search("\(shot.caption) \(shot.place)", options: SearchOptions(k: 5, signals: signals))) { right($0, shot) }
            }
            report.add(
                "speech.combined.R@1.\(label)", recall.at(1), "fraction",
                note: label == "fused"
                    ? "\(shots.count) queries \"<the shot's caption> <its place word>\": each caption is in up to 3 shots, each place word in 6; only the asked shot has both"
                    : nil)
        }
    }

    /// Text-search latency over `count` generated cues.
    static func latency(report: Report, cues count: Int, directory: URL) throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        var rng = SystemRandomNumberGenerator()
        var generator = ZipfWords(vocabulary: 20_000, seed: UInt64(count))
        let perVideo = 500, segmentsPerVideo = 100
        let identity = ModelIdentity(name: "bench-text", fingerprint: "bench-text", dimension: 4, promptTokens: 1)
        let store = try IndexStore(writingAt: directory, model: identity)
        var phrases: [String] = []
        for v in 0..<(count / perVideo) {
            var cues: [SubtitleCue] = []
            for c in 0..<perVideo {
                let line = (0..<(6 + Int(generator.next() % 5))).map { _ in generator.word() }
                if c == 0 && phrases.count < 200 { phrases.append(line[1...2].joined(separator: " ")) }
                cues.append(SubtitleCue(start: Double(c) * 2, end: Double(c) * 2 + 1.5, text: line.joined(separator: " ")))
            }
            let segments = (0..<segmentsPerVideo).map { s in
                EncodedSegment(
                    segment: SegmentRecord(start: Double(s) * 10, end: Double(s + 1) * 10, frameTimes: [Double(s) * 10 + 5]),
                    embedding: (0..<4).map { _ in Float.random(in: -1...1, using: &rng) }, promptTokens: [], thumbnail: [])
            }
            try store.put(
                video: VideoRecord(path: "/bench/\(v).mp4", fingerprint: "b\(v)", size: 1, mtime: 0), segments: segments,
                subtitles: VideoSubtitles(sources: [SubtitleSource(kind: .sidecar, name: "\(v).srt", format: "subrip", language: "en")], cues: cues))
        }
        var cache: TextCache?
        let build = try Measure.time(repeats: 1, warmup: 0) { cache = try TextCache.rebuild(store) }
        try cache!.save(in: directory)
        let file = try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasSuffix(".sqlite") }!
        let bytes =
            (try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(file).path)[.size] as? NSNumber)?.doubleValue ?? 0
        let opened = try TextCache.open(store)  // from its file, as a search process opens it
        let label = count >= 1_000_000 ? "\(count / 1_000_000)M" : "\(count / 1000)k"
        report.add(
            "speech.text.\(label).rebuild", build.median, "s", timing: build,
            note: String(
                format: "%d generated cues (6-10 words over a Zipf vocabulary of 20,000) in %d videos: the FTS5 cache built from LMDB; file %.0f MB",
                count, count / perVideo, bytes / 1e6))
        let kinds: [(String, [String])] = [
            ("rare_word", (0..<200).map { _ in generator.word(rank: 5000 + Int(generator.next() % 15000)) }),
            ("common_word", (0..<200).map { _ in generator.word(rank: 10 + Int(generator.next() % 90)) }),
            ("phrase", phrases.map { "\"\($0)\"" }),
            (
                "three_words",
                (0..<200).map { _ in (0..<3).map { _ in generator.word(rank: 200 + Int(generator.next() % 2000)) }.joined(separator: " ") }
            ),
        ]
        for (kind, queries) in kinds {
            var samples: [Double] = []
            var hits = 0
            for (i, text) in queries.enumerated() {
                let query = TextQuery(text)
                if i < 5 { _ = try opened.search(query, limit: 100) }  // warm
                let start = DispatchTime.now().uptimeNanoseconds
                hits += try opened.search(query, limit: 100).count
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            samples.sort()
            let timing = Measure.Timing(median: samples[samples.count / 2], min: samples.first!, max: samples.last!)
            let what = [
                "rare_word": "one word of rank 5,000-20,000",
                "common_word": "one word of rank 10-100 (a common term when in over 1% of lines: its first 100 lines in index order)",
                "phrase": "a quoted pair of adjacent words from a stored line", "three_words": "three words of rank 200-2,200, any of them",
            ][kind]!
            report.add(
                "speech.text.\(label).\(kind).p50", timing.median, "ms", timing: timing,
                note: String(
                    format: "%d queries of %@: the best 100 lines by BM25 (%.0f found on average), p90 %.2f ms", queries.count, what,
                    Double(hits) / Double(queries.count), samples[samples.count * 9 / 10]))
        }
    }
}

/// Words drawn with Zipf's law (rank r with weight 1/r) from a made-up vocabulary, seeded.
struct ZipfWords {
    private var state: UInt64
    private let cumulative: [Double]

    init(vocabulary: Int, seed: UInt64) {
        state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var total = 0.0
        cumulative = (1...vocabulary).map {
            total += 1 / Double($0)
            return total
        }
    }

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    mutating func word() -> String {
        let target = Double(next() % 1_000_000) / 1_000_000 * cumulative.last!
        var low = 0, high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] < target { low = mid + 1 } else { high = mid }
        }
        return word(rank: low)
    }

    /// The word of a rank: letters spelling the rank, so each is one token to FTS5.
    func word(rank: Int) -> String {
        let letters = Array("bcdfghjklmnpqrstvwz"), vowels = Array("aeiou")
        var n = rank, text = ""
        repeat {
            text.append(letters[n % letters.count])
            n /= letters.count
            text.append(vowels[n % vowels.count])
            n /= vowels.count
        } while n > 0
        return text
    }
}
