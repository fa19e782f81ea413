import CommandSupport
import Foundation
import Ingest

/// Cut detection on generated edits with known cut times (the ffmpeg tool's test sources cut
/// together: hard cuts, cross-fades, fades through black), with what must not be a cut inside
/// shots (a two-frame white flash, a fast pan, a shaking camera, slow zooms and colour drifts):
/// recall per kind of transition and precision, through the ingest decoder. And its cost: the
/// share of decoding's CPU spent looking for cuts on a 720p and a 1080p edit, and the CPU of the
/// whole segment preparation with shot-aware segments against fixed windows.
public enum CutBenchmark {
    /// One shot's picture: an ffmpeg source filter (size and duration filled in) and its look.
    struct Shot {
        let source: String
        let seconds: Double
    }

    enum Transition {
        case hard
        /// A cross-fade (`black`: through black) of this many seconds.
        case fade(Double, black: Bool)
    }

    struct Edit {
        let name: String
        let shots: [Shot]
        let transitions: [Transition]

        /// The true cuts: a hard cut's time, a fade's middle; and the length.
        var truth: (cuts: [(time: Double, hard: Bool)], seconds: Double) {
            var at = shots[0].seconds
            var cuts: [(Double, Bool)] = []
            for (shot, transition) in zip(shots.dropFirst(), transitions) {
                switch transition {
                case .hard:
                    cuts.append((at, true))
                    at += shot.seconds
                case .fade(let d, _):
                    cuts.append((at - d / 2, false))
                    at += shot.seconds - d
                }
            }
            return (cuts, at)
        }

        func filterGraph(width: Int, height: Int) -> String {
            let normal = "fps=25,format=yuv420p,setsar=1,settb=1/25"
            var graph = shots.enumerated().map { i, shot in
                shot.source.replacingOccurrences(of: "{BIG}", with: "\(4 * width)x\(2 * height)").replacingOccurrences(
                    of: "{SIZE}", with: "\(width)x\(height)"
                )
                .replacingOccurrences(of: "{W}", with: "\(width)").replacingOccurrences(of: "{H}", with: "\(height)")
                .replacingOccurrences(of: "{LEN}", with: String(format: "%.2f", shot.seconds)) + ",trim=duration=\(shot.seconds),\(normal)[s\(i)]"
            }
            var last = "s0", length = shots[0].seconds
            for (i, (shot, transition)) in zip(shots.dropFirst(), transitions).enumerated() {
                let out = i == transitions.count - 1 ? "out" : "a\(i)"
                switch transition {
                case .hard:
                    graph.append("[\(last)][s\(i + 1)]concat=n=2:v=1:a=0,settb=1/25[\(out)]")
                    length += shot.seconds
                case .fade(let d, let black):
                    graph.append(
                        String(
                            format: "[%@][s%d]xfade=transition=%@:duration=%.2f:offset=%.2f,settb=1/25[%@]",
                            last, i + 1, black ? "fadeblack" : "fade", d, length - d, out))
                    length += shot.seconds - d
                }
                last = out
            }
            return graph.joined(separator: ";")
        }
    }

    // Looks that differ from one another; the last four move in ways that are not cuts.
    static let bars = Shot(source: "smptehdbars=s={SIZE}:r=25:d={LEN},noise=alls=10:allf=t:all_seed=7", seconds: 3)
    static let test = Shot(source: "testsrc2=s={SIZE}:r=25:d={LEN}", seconds: 3)
    static let zoom = Shot(source: "mandelbrot=s={SIZE}:r=25", seconds: 3)
    static let gradient = Shot(
        source: "gradients=s={SIZE}:r=25:d={LEN}:speed=0.04:nb_colors=2:c0=0x2040a0:c1=0xe0c040:x0=0:y0=0:x1={W}:y1={H}", seconds: 3)
    static let drift = Shot(source: "rgbtestsrc=s={SIZE}:r=25:d={LEN},hue=H=t", seconds: 3)
    static let life = Shot(
        source: "life=s={SIZE}:r=25:seed=7:mold=10:ratio=0.2:death_color=#303080:life_color=#f0c040,trim=duration={LEN}", seconds: 3)
    static let pan = Shot(source: "testsrc2=s={BIG}:r=25:d={LEN},crop={W}:{H}:x='min(iw-{W}\\,t*iw/5)':y={H}/2", seconds: 3)
    static let shake = Shot(
        source: "smptebars=s={SIZE}:r=25:d={LEN},scale=iw*5/4:ih*5/4,crop={W}:{H}:x='{W}/8+{W}/10*sin(t*19)':y='{H}/8+{H}/10*cos(t*23)'",
        seconds: 3)
    static let flash = Shot(
        source: "testsrc2=s={SIZE}:r=25:d={LEN},drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='between(n\\,36\\,37)'",
        seconds: 3)

    static func seconds(_ shot: Shot, _ s: Double) -> Shot { Shot(source: shot.source, seconds: s) }

    static let edits: [Edit] = [
        Edit(
            name: "hard-and-fades", shots: [test, bars, zoom, pan, gradient],
            transitions: [.hard, .fade(0.8, black: false), .fade(1.0, black: true), .hard]),
        Edit(
            name: "motion", shots: [flash, drift, shake, life, bars],
            transitions: [.hard, .hard, .fade(1.0, black: false), .hard]),
        Edit(
            name: "pans-and-flashes", shots: [pan, flash, zoom, test, shake],
            transitions: [.fade(0.6, black: false), .hard, .fade(0.8, black: true), .hard]),
        Edit(
            name: "short-shots", shots: [seconds(test, 1.5), seconds(bars, 2), seconds(gradient, 1.2), drift, seconds(zoom, 2.5), life],
            transitions: [.hard, .hard, .fade(0.5, black: false), .hard, .hard]),
    ]

    static func make(_ edit: Edit, width: Int, height: Int, at path: String) throws -> Bool {
        let made = try Subprocess.run(
            "ffmpeg",
            [
                "-hide_banner", "-loglevel", "error", "-y", "-filter_complex", edit.filterGraph(width: width, height: height),
                "-map", "[out]", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", path,
            ])
        return made.status == 0
    }

    /// Every cut found in a file, decoding as ingest does (frames sampled every half second), and
    /// the CPU-seconds of this thread spent decoding and, of those, looking for cuts.
    static func cuts(in path: String) throws -> (cuts: [CutDetector.Cut], cpu: Double, looking: Double) {
        let decoder = try VideoDecoder(path: path, threads: 1)  // decoding on this thread: its CPU clock sees all of it
        var detector = CutDetector()
        var found: [CutDetector.Cut] = []
        var looking = 0.0
        decoder.observer = { observation in
            let before = threadCPU()
            switch observation {
            case .frame(let time, let luma): found += detector.add(time: time, luma: luma)
            case .jump: detector.jump()
            }
            looking += threadCPU() - before
        }
        let start = threadCPU()
        var t = 0.25
        while t < decoder.info.duration {
            _ = try decoder.sample(times: [t])
            t += 0.5
        }
        let cpu = threadCPU() - start
        decoder.observer = nil
        return (found + detector.finish(), cpu, looking)
    }

    private static func threadCPU() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    public static func run(report: Report) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vidsearch-bench-cuts-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        var hardFound = 0, hardTotal = 0, fadeFound = 0, fadeTotal = 0, detections = 0, right = 0, error = 0.0
        var misses: [String] = []
        for edit in edits {
            let path = dir.appendingPathComponent("\(edit.name).mp4").path
            guard try make(edit, width: 320, height: 180, at: path) else {
                report.skip("cuts", "the ffmpeg tool could not render the generated edit \(edit.name)")
                return
            }
            let found = try cuts(in: path).cuts
            let truth = edit.truth.cuts
            detections += found.count
            var used = Set<Int>()
            for cut in truth {
                let tolerance = cut.hard ? 0.2 : 0.5
                if cut.hard { hardTotal += 1 } else { fadeTotal += 1 }
                if let i = found.indices.filter({ !used.contains($0) && abs(found[$0].time - cut.time) <= tolerance })
                    .min(by: { abs(found[$0].time - cut.time) < abs(found[$1].time - cut.time) })
                {
                    used.insert(i)
                    right += 1
                    error += abs(found[i].time - cut.time)
                    if cut.hard { hardFound += 1 } else { fadeFound += 1 }
                } else {
                    misses.append(String(format: "%@ missed %@ at %.2f", edit.name, cut.hard ? "hard" : "fade", cut.time))
                }
            }
            for i in found.indices where !used.contains(i) {
                misses.append(String(format: "%@ false %@ at %.2f", edit.name, found[i].kind.rawValue, found[i].time))
            }
        }
        let note = misses.isEmpty ? "" : "; " + misses.joined(separator: ", ")
        report.add(
            "cuts.recall.hard", Double(hardFound) / Double(hardTotal), "share",
            note: "\(hardFound) of \(hardTotal) hard cuts within 0.2 s, \(edits.count) generated edits at 320x180, 25 fps")
        report.add(
            "cuts.recall.fade", Double(fadeFound) / Double(fadeTotal), "share",
            note: "\(fadeFound) of \(fadeTotal) cross-fades and fades through black within 0.5 s of their middle")
        report.add(
            "cuts.precision", detections > 0 ? Double(right) / Double(detections) : 0, "share",
            note:
                "\(right) of \(detections) cuts found are true; inside shots: a 2-frame white flash, a fast pan, a shaking camera, a zoom, colour drift"
                + note)
        report.add("cuts.time_error", right > 0 ? error / Double(right) : 0, "s", note: "mean distance of a found cut from the true one")

        // The cost, on 720p and 1080p: decoding as ingest does with the detector looking and without.
        let preprocessor = FramePreprocessor(PreprocessorConfiguration())
        for (label, width, height) in [("720p", 1280, 720), ("1080p", 1920, 1080)] {
            let path = dir.appendingPathComponent("cost-\(label).mp4").path
            guard try make(edits[0], width: width, height: height, at: path) else {
                report.skip("cuts.\(label)", "the ffmpeg tool could not render the \(label) edit")
                continue
            }
            // The detector's own CPU (the frame's signature and the tests) inside decoding's, so the
            // share is of one run, free of the run-to-run noise of two timings.
            var shares: [Double] = [], cpus: [Double] = []
            for _ in 0..<3 {
                let run = try cuts(in: path)
                shares.append(run.looking / run.cpu)
                cpus.append(run.cpu)
            }
            shares.sort()
            report.add(
                "cuts.\(label).detection_share", shares[1], "share",
                note: String(
                    format:
                        "CPU of looking for cuts (a frame's luma signature and the tests) within decoding the %.1f s edit every half second (%.3f CPU-s), median of 3 runs: %.4f-%.4f",
                    edits[0].truth.seconds, cpus.sorted()[1], shares[0], shares[2]))
            let fixed = SegmentOptions(decoderThreads: 1, detectCuts: false), shots = SegmentOptions(decoderThreads: 1)
            let (_, cpuFixed) = try Measure.timeWithCPU(repeats: 3) {
                _ = try SegmentSource(preprocessor: preprocessor, frames: 8, options: fixed).segments(path: path)
            }
            let (tShots, cpuShots) = try Measure.timeWithCPU(repeats: 3) {
                _ = try SegmentSource(preprocessor: preprocessor, frames: 8, options: shots).segments(path: path)
            }
            report.add(
                "cuts.\(label).segments_cost", cpuShots / cpuFixed, "ratio", timing: tShots, ratio: cpuShots / cpuFixed,
                ratioTo: "fixed windows (--no-cuts), CPU",
                note: String(
                    format: "decode, preprocess and thumbnails of every segment, shot-aware (%.3f CPU-s) against fixed 4 s windows (%.3f CPU-s)",
                    cpuShots, cpuFixed))
        }
    }
}
