import Foundation
import TestSupport
import XCTest

/// `vidsearch serve` over the sample clips, through real HTTP on an ephemeral port.
final class ServeTests: XCTestCase {
    private var footage: URL!
    private var index: String!
    private let model = CLI.repository.appendingPathComponent("Models/xclip-demo").path
    private var captions: [String: String] = [:]  // file name -> caption

    override func setUpWithError() throws {
        let dir = try temporaryDirectory(self)
        footage = dir.appendingPathComponent("footage")
        try FileManager.default.createDirectory(at: footage, withIntermediateDirectories: true)
        let samples = CLI.repository.appendingPathComponent("Samples/demo-clips")
        for line in try String(contentsOf: samples.appendingPathComponent("labels.jsonl"), encoding: .utf8).split(separator: "\n") {
            let label = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let file = label["file"] as! String
            captions[file] = label["caption"] as? String
            let folder = footage.appendingPathComponent(Int(file.dropFirst(5).prefix(5))! < 15 ? "first" : "second")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: samples.appendingPathComponent(file), to: folder.appendingPathComponent(file))
        }
        index = dir.appendingPathComponent("index").path
        XCTAssertEqual(try CLI.run(["index", footage.path, "--index", index, "--model", model]).status, 0)
    }

    private func serve(_ extra: [String] = []) throws -> RunningServer {
        try RunningServer(self, arguments: ["--index", index, "--model", model] + extra)
    }

    func testSearchFindsTheCaptionedClipsWithThumbnailsAndPlayableMedia() throws {
        let server = try serve()
        XCTAssertEqual(try server.get("/api/health").json["ok"] as? Bool, true)
        let stats = try server.get("/api/stats").json
        XCTAssertEqual(stats["videos"] as? Int, 30)
        XCTAssertEqual(stats["segments"] as? Int, 30)

        let caption = "a blue square shrinking"
        let reply = try server.get("/api/search?q=\(caption.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)&k=5")
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.header("Content-Type"), "application/json; charset=utf-8")
        let hits = try XCTUnwrap(reply.json["hits"] as? [[String: Any]])
        XCTAssertEqual(hits.count, 5)
        let first = hits[0]
        XCTAssertEqual(captions[first["file"] as! String], caption, "the best hit is a clip with that caption")
        XCTAssertEqual(first["start"] as? Double, 0)
        let scores = hits.map { $0["score"] as! Double }
        XCTAssertEqual(scores, scores.sorted(by: >))
        XCTAssertTrue(scores.allSatisfy(\.isFinite))

        // The thumbnail is the stored JPEG.
        let thumbnail = try server.get(first["thumbnail"] as! String)
        XCTAssertEqual(thumbnail.status, 200)
        XCTAssertEqual(thumbnail.header("Content-Type"), "image/jpeg")
        XCTAssertEqual(Array(thumbnail.body.prefix(2)), [0xFF, 0xD8])

        // The media: the whole file, or the part a Range asks for.
        let media = first["media"] as! String
        let folder = first["folder"] as! String, file = first["file"] as! String
        let bytes = try Data(contentsOf: URL(fileURLWithPath: folder).appendingPathComponent(file))
        let whole = try server.get(media)
        XCTAssertEqual(whole.status, 200)
        XCTAssertEqual(whole.header("Content-Type"), "video/mp4")
        XCTAssertEqual(whole.header("Accept-Ranges"), "bytes")
        XCTAssertEqual(whole.body, bytes)
        let head = try server.get(media, headers: ["Range": "bytes=0-99"])
        XCTAssertEqual(head.status, 206)
        XCTAssertEqual(head.header("Content-Range"), "bytes 0-99/\(bytes.count)")
        XCTAssertEqual(head.body, bytes.prefix(100))
        let middle = try server.get(media, headers: ["Range": "bytes=1000-1999"])
        XCTAssertEqual(middle.status, 206)
        XCTAssertEqual(middle.body, bytes[1000..<2000])
        let suffix = try server.get(media, headers: ["Range": "bytes=-500"])
        XCTAssertEqual(suffix.status, 206)
        XCTAssertEqual(suffix.body, bytes.suffix(500))
        let beyond = try server.get(media, headers: ["Range": "bytes=\(bytes.count)-"])
        XCTAssertEqual(beyond.status, 416)
        XCTAssertEqual(beyond.header("Content-Range"), "bytes */\(bytes.count)")

        // The videos, and one by id.
        let videos = try XCTUnwrap(try server.get("/api/videos").json["videos"] as? [[String: Any]])
        XCTAssertEqual(videos.count, 30)
        let one = try server.get("/api/videos/\(first["video"]!)").json
        XCTAssertEqual(one["file"] as? String, file)
        XCTAssertEqual(one["available"] as? Bool, true)
    }

    func testSimilarLeavesOutTheSameMomentAndFindsItsKind() throws {
        let server = try serve()
        let hits = try XCTUnwrap(try server.get("/api/search?q=a%20red%20circle%20moving%20left&k=1").json["hits"] as? [[String: Any]])
        let segment = hits[0]["segment"] as! Int
        let reply = try server.get("/api/similar/\(segment)?k=5")
        XCTAssertEqual(reply.status, 200)
        let similar = try XCTUnwrap(reply.json["hits"] as? [[String: Any]])
        XCTAssertEqual(similar.count, 5)
        XCTAssertFalse(similar.contains { $0["segment"] as? Int == segment }, "the segment itself is left out")
        XCTAssertEqual(captions[similar[0]["file"] as! String], captions[hits[0]["file"] as! String], "its nearest is a clip of the same caption")
        XCTAssertEqual(try server.get("/api/similar/987654").status, 404)
        XCTAssertEqual(try server.get("/api/similar/abc").status, 400)

        // The same from the command line, by segment and by file@seconds.
        let cli = try CLI.run(["search", "--like", String(segment), "--index", index, "--model", model, "-k", "5", "--json"]).json
        XCTAssertEqual(cli.map { $0["segment"] as? Int }, similar.map { $0["segment"] as? Int })
        let path = "\(hits[0]["folder"]!)/\(hits[0]["file"]!)"
        let byFile = try CLI.run(["search", "--like", "\(path)@0.5", "--index", index, "--model", model, "-k", "5", "--json"]).json
        XCTAssertEqual(byFile.map { $0["segment"] as? Int }, similar.map { $0["segment"] as? Int })
        XCTAssertEqual(try CLI.run(["search", "--like", "/nowhere.mp4", "--index", index, "--model", model]).status, 2)
    }

    func testFolderAndGlobFiltersKeepOnlyTheirVideos() throws {
        let server = try serve()
        let first = footage.appendingPathComponent("first").path
        let reply = try server.get("/api/search?q=a%20green%20triangle%20growing&k=50&path=\(first)")
        let hits = try XCTUnwrap(reply.json["hits"] as? [[String: Any]])
        XCTAssertEqual(hits.count, 15, "every segment under the folder, none outside")
        XCTAssertTrue(hits.allSatisfy { $0["folder"] as? String == first })
        let glob = try XCTUnwrap(try server.get("/api/search?q=a%20ball&k=50&path=*/clip-0001?.mp4").json["hits"] as? [[String: Any]])
        XCTAssertEqual(Set(glob.map { $0["file"] as! String }), Set((10...19).map { String(format: "clip-%05d.mp4", $0) }))
        let none = try XCTUnwrap(try server.get("/api/search?q=a%20ball&path=/elsewhere").json["hits"] as? [[String: Any]])
        XCTAssertTrue(none.isEmpty)
        // The command line agrees.
        let cli = try CLI.run(["search", "a green triangle growing", "--path", first, "--index", index, "--model", model, "-k", "50", "--json"]).json
        XCTAssertEqual(cli.map { $0["segment"] as? Int }, hits.map { $0["segment"] as? Int })
    }

    func testNoPathComesFromARequestAndBadInputGets4xx() throws {
        let server = try serve()
        for attempt in [
            "/api/videos/..%2F..%2Fetc%2Fpasswd/media", "/api/videos/%2Fetc%2Fpasswd/media", "/../../etc/passwd",
            "/api/videos/1/../../../etc/passwd", "/api/segments/-1/thumbnail", "/api/videos/18446744073709551616/media",
            "/app.js/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
        ] {
            let reply = try server.get(attempt)
            XCTAssertTrue((400..<500).contains(reply.status), "\(attempt): \(reply.status)")
            XCTAssertFalse(reply.text.contains("root:"), attempt)
        }
        XCTAssertEqual(try server.get("/api/videos/99999").status, 404)
        XCTAssertEqual(try server.get("/api/videos/99999/media").status, 404)
        XCTAssertEqual(try server.get("/api/segments/99999/thumbnail").status, 404)
        XCTAssertEqual(try server.get("/api/search?q=").status, 400)
        XCTAssertEqual(try server.get("/api/search").status, 400)
        XCTAssertEqual(try server.get("/api/search?q=red&k=0").status, 400)
        XCTAssertEqual(try server.get("/api/search?q=red&k=100000").status, 400)
        XCTAssertEqual(try server.get("/api/search?q=red&candidates=99999999").status, 400)
        XCTAssertEqual(try server.get("/api/search?q=red&rerank=maybe").status, 400)
        XCTAssertEqual(try server.get("/api/search?q=red&signals=sound").status, 400)
        let long = String(repeating: "red ", count: 2_000).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        XCTAssertEqual(try server.get("/api/search?q=\(long)").status, 200, "a long query is cut before tokenizing, not refused")
        let huge = String(repeating: "red ", count: 60_000).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        XCTAssertTrue((400..<500).contains(try server.get("/api/search?q=\(huge)").status), "a request past the size limit")
        XCTAssertEqual(try server.get("/api/health").status, 200, "and the server goes on")
        let write = try server.get("/api/search?q=red", method: "POST")
        XCTAssertEqual(write.status, 405, "no write endpoints: a method the path does not answer")
        XCTAssertEqual(write.header("Allow"), "GET, HEAD")
        XCTAssertNil(
            try server.get("/api/health", headers: ["Origin": "http://evil.example"]).header("Access-Control-Allow-Origin"), "CORS stays off")
    }

    func testAVideoGoneFromDiskIsSaidSo() throws {
        let victim = footage.appendingPathComponent("first/clip-00003.mp4")
        try FileManager.default.removeItem(at: victim)
        let server = try serve()
        let videos = try XCTUnwrap(try server.get("/api/videos").json["videos"] as? [[String: Any]])
        let gone = try XCTUnwrap(videos.first { $0["file"] as? String == "clip-00003.mp4" })
        XCTAssertEqual(gone["available"] as? Bool, false)
        let reply = try server.get(gone["media"] as! String)
        XCTAssertEqual(reply.status, 410)
        XCTAssertTrue((reply.json["error"] as? String ?? "").contains("no longer on disk"))
    }

    func testTokenRules() throws {
        // Any host but loopback needs a token: refused before anything starts.
        let refused = try CLI.run(["serve", "--host", "0.0.0.0", "--index", index, "--model", model])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("--token"), refused.stderr)

        let token = "s3cret-token-for-tests"
        let server = try serve(["--token", token])
        XCTAssertEqual(try server.get("/api/stats").status, 401)
        XCTAssertEqual(try server.get("/api/stats", headers: ["Authorization": "Bearer wrong-token"]).status, 401)
        XCTAssertEqual(try server.get("/").status, 401)
        XCTAssertEqual(try server.get("/api/stats", headers: ["Authorization": "Bearer \(token)"]).status, 200)
        XCTAssertEqual(try server.get("/?token=wrong").status, 401)
        let visit = try server.get("/?token=\(token)")
        XCTAssertEqual(visit.status, 303)
        XCTAssertEqual(visit.header("Location"), "/")
        let cookie = try XCTUnwrap(visit.header("Set-Cookie"))
        XCTAssertTrue(cookie.contains("HttpOnly"), cookie)
        let pair = String(cookie.split(separator: ";")[0])
        XCTAssertEqual(try server.get("/api/stats", headers: ["Cookie": pair]).status, 200)
        XCTAssertEqual(try server.get("/", headers: ["Cookie": pair]).status, 200)
    }

    func testThePageIsServedFromTheBinary() throws {
        let server = try serve()
        let page = try server.get("/")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains("<script src=\"/app.js\""))
        XCTAssertFalse(page.text.contains("http://") || page.text.contains("https://"), "nothing fetched from elsewhere")
        XCTAssertTrue(page.header("Content-Security-Policy")?.contains("default-src 'self'") ?? false)
        let script = try server.get("/app.js")
        XCTAssertEqual(script.header("Content-Type"), "text/javascript; charset=utf-8")
        XCTAssertTrue(script.text.contains("/api/search"))
        XCTAssertEqual(try server.get("/app.css").status, 200)
    }

    func testAWatchedFolderBecomesSearchableAndDeletionsDisappear() throws {
        let dir = try temporaryDirectory(self)
        let inbox = dir.appendingPathComponent("inbox")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let fresh = dir.appendingPathComponent("watched-index").path
        let server = try RunningServer(self, arguments: ["--index", fresh, "--model", model, "--watch", inbox.path, "--settle", "1"])
        func poll(_ what: String, _ probe: () throws -> Bool) throws {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                if try probe() { return }
                Thread.sleep(forTimeInterval: 0.2)
            }
            XCTFail("timed out waiting for \(what)")
        }
        try poll("the watcher to start") { (try server.get("/api/status").json["watch"] as? [String: Any])?["watching"] as? Bool == true }
        XCTAssertEqual(try server.get("/api/stats").json["videos"] as? Int, 0)

        // Dropped in: searchable once it settles.
        let samples = CLI.repository.appendingPathComponent("Samples/demo-clips")
        let clip = inbox.appendingPathComponent("new-arrival.mp4")
        try FileManager.default.copyItem(at: samples.appendingPathComponent("clip-00027.mp4"), to: clip)
        try poll("the new file in the index") { try server.get("/api/stats").json["videos"] as? Int == 1 }
        let hits = try XCTUnwrap(try server.get("/api/search?q=a%20blue%20square%20shrinking&k=1").json["hits"] as? [[String: Any]])
        XCTAssertEqual(hits.first?["file"] as? String, "new-arrival.mp4")
        let status = try XCTUnwrap(try server.get("/api/status").json["watch"] as? [String: Any])
        XCTAssertEqual(status["indexed"] as? Int, 1)

        // Renamed: it keeps its segments (nothing encoded again).
        let before = try XCTUnwrap((try server.get("/api/videos").json["videos"] as? [[String: Any]])?.first)
        let renamed = inbox.appendingPathComponent("renamed.mp4")
        try FileManager.default.moveItem(at: clip, to: renamed)
        try poll("the move") {
            (try server.get("/api/videos").json["videos"] as? [[String: Any]])?.first?["file"] as? String == "renamed.mp4"
        }
        let after = try XCTUnwrap((try server.get("/api/videos").json["videos"] as? [[String: Any]])?.first)
        XCTAssertEqual(after["id"] as? Int, before["id"] as? Int, "the same video record, moved")
        XCTAssertEqual((try server.get("/api/status").json["watch"] as? [String: Any])?["moved"] as? Int, 1)
        XCTAssertEqual((try server.get("/api/status").json["watch"] as? [String: Any])?["indexed"] as? Int, 1, "not encoded again")

        // A subtitle file dropped beside it: its line is searchable, the video not encoded again.
        try "1\n00:00:01,000 --> 00:00:02,000\nThe ferry leaves at noon\n".write(
            to: inbox.appendingPathComponent("renamed.en.srt"), atomically: true, encoding: .utf8)
        try poll("the sidecar's line") {
            (try server.get("/api/search?q=ferry&signals=speech").json["hits"] as? [[String: Any]])?.first?["file"] as? String == "renamed.mp4"
        }
        XCTAssertEqual((try server.get("/api/status").json["watch"] as? [String: Any])?["indexed"] as? Int, 1, "not encoded again")
        XCTAssertEqual((try server.get("/api/videos").json["videos"] as? [[String: Any]])?.first?["id"] as? Int, before["id"] as? Int)

        // The watcher is the one writer.
        let other = try CLI.run(["index", samples.appendingPathComponent("clip-00001.mp4").path, "--index", fresh, "--model", model])
        XCTAssertEqual(other.status, 3)
        XCTAssertTrue(other.stderr.contains("locked"), other.stderr)

        // Deleted: gone from the index and from searches.
        try FileManager.default.removeItem(at: renamed)
        try poll("the deletion") { try server.get("/api/stats").json["videos"] as? Int == 0 }
        XCTAssertEqual((try server.get("/api/search?q=a%20blue%20square&k=5").json["hits"] as? [[String: Any]])?.count, 0)
    }

    func testSearchByAnExampleClipOrPhoto() throws {
        let server = try serve()
        let dir = try temporaryDirectory(self)
        let source = footage.appendingPathComponent("second/clip-00027.mp4")
        let still = dir.appendingPathComponent("still.jpg").path
        try ffmpeg(["-i", source.path, "-frames:v", "1", still])
        let photo = try Data(contentsOf: URL(fileURLWithPath: still))

        // A photo, as a browser's form sends it: the clip it was taken from comes first.
        let boundary = "----vidsearch\(UUID().uuidString)"
        var form = Data(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../still.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n".utf8)
        form += photo + Data("\r\n--\(boundary)--\r\n".utf8)
        let reply = try server.get(
            "/api/search/example?k=3", headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"], method: "POST", body: form)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual((reply.json["hits"] as? [[String: Any]])?.first?["file"] as? String, "clip-00027.mp4")

        // A clip, as raw bytes with its type: it finds itself.
        let clip = try server.get(
            "/api/search/example?k=1", headers: ["Content-Type": "video/mp4"], method: "POST", body: try Data(contentsOf: source))
        XCTAssertEqual((clip.json["hits"] as? [[String: Any]])?.first?["file"] as? String, "clip-00027.mp4", clip.text)

        // What cannot be used says why, with a 4xx.
        XCTAssertEqual(
            try server.get("/api/search/example", headers: ["Content-Type": "video/mp4"], method: "POST", body: Data("not a video".utf8)).status, 422)
        XCTAssertEqual(
            try server.get("/api/search/example", headers: ["Content-Type": "text/plain"], method: "POST", body: Data("x".utf8)).status, 415)
        XCTAssertEqual(
            try server.get(
                "/api/search/example", headers: ["Content-Type": "multipart/form-data; boundary=b"], method: "POST",
                body: Data("--b\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\n1\r\n--b--\r\n".utf8)
            ).status, 400)
        let huge = Data(count: 65 << 20)
        XCTAssertEqual(try server.get("/api/search/example", headers: ["Content-Type": "video/mp4"], method: "POST", body: huge).status, 413)
        XCTAssertEqual(try server.get("/api/health").status, 200)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("vidsearch-example-") }
        XCTAssertEqual(leftovers, [], "uploads live only while they are encoded")

        // The command line's --image does the same.
        let cli = try CLI.run(["search", "--image", still, "--index", index, "--model", model, "-k", "1", "--json"]).json
        XCTAssertEqual((cli.first?["path"] as? String).map { URL(fileURLWithPath: $0).lastPathComponent }, "clip-00027.mp4")
    }

    /// A 4-hour 64x64 clip uploaded as an example: only its first minute is read (it held every
    /// search for about 50 s before), and a search made meanwhile answers.
    func testALongExampleIsReadOnlyForItsFirstMinute() throws {
        let server = try serve()
        let dir = try temporaryDirectory(self)
        let long = dir.appendingPathComponent("four-hours.mp4")
        try ffmpeg([
            "-f", "lavfi", "-i", "testsrc=s=64x64:r=1:d=14400", "-c:v", "libx264", "-preset", "ultrafast", "-g", "600", "-pix_fmt", "yuv420p",
            long.path,
        ])
        let body = try Data(contentsOf: long)
        let started = Date()
        final class Box: @unchecked Sendable { var reply: RunningServer.Reply? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            box.reply = try? server.get("/api/search/example?k=1", headers: ["Content-Type": "video/mp4"], method: "POST", body: body)
            done.signal()
        }
        Thread.sleep(forTimeInterval: 0.5)
        let search = try server.get("/api/search?q=a%20red%20circle&k=1")
        XCTAssertEqual(search.status, 200)
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success, "the example took over a minute")
        XCTAssertEqual(box.reply?.status, 200, box.reply?.text ?? "")
        XCTAssertLessThan(Date().timeIntervalSince(started), 60)
    }

    func testAFormatBrowsersDoNotPlayIsCutToMP4() throws {
        let dir = try temporaryDirectory(self)
        let avi = dir.appendingPathComponent("old-camera.avi").path
        try ffmpeg(["-f", "lavfi", "-i", "testsrc=s=128x96:r=10:d=9", "-c:v", "mpeg4", "-q:v", "3", avi])
        let index = dir.appendingPathComponent("index").path
        XCTAssertEqual(try CLI.run(["index", avi, "--index", index, "--model", model]).status, 0)
        let server = try RunningServer(self, arguments: ["--index", index, "--model", model])
        let hit = try XCTUnwrap((try server.get("/api/search?q=a%20ball&k=1").json["hits"] as? [[String: Any]])?.first)
        let media = try server.get(hit["media"] as! String)
        XCTAssertEqual(media.status, 415)
        XCTAssertTrue((media.json["error"] as? String ?? "").contains("clip.mp4"))

        let clip = try server.get(hit["clip"] as! String)
        XCTAssertEqual(clip.status, 200, clip.text)
        XCTAssertEqual(clip.header("Content-Type"), "video/mp4")
        let saved = dir.appendingPathComponent("clip.mp4")
        try clip.body.write(to: saved)
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = [
            "ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "stream=codec_name:format=duration", "-of", "default=nw=1", saved.path,
        ]
        let out = Pipe()
        probe.standardOutput = out
        try probe.run()
        probe.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(text.contains("codec_name=h264"), text)
        let duration = Double(text.split(separator: "\n").first { $0.hasPrefix("duration=") }?.dropFirst(9) ?? "") ?? 0
        XCTAssertEqual(duration, (hit["end"] as! Double) - (hit["start"] as! Double), accuracy: 0.15, "the segment's length")
        let part = try server.get(hit["clip"] as! String, headers: ["Range": "bytes=0-99"])
        XCTAssertEqual(part.status, 206)
        XCTAssertEqual(part.body, clip.body.prefix(100), "the second request is served from the cache, the same bytes")
    }
}

/// `vidsearch watch` killed in the middle of a folder loses nothing committed, and a restart
/// does the rest, each file exactly once.
final class WatchRestartTests: XCTestCase {
    func testKilledMidFolderThenRestartedIndexesEachFileOnce() throws {
        let dir = try temporaryDirectory(self)
        let inbox = dir.appendingPathComponent("inbox")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let samples = CLI.repository.appendingPathComponent("Samples/demo-clips")
        for i in 0..<12 {
            try FileManager.default.copyItem(
                at: samples.appendingPathComponent(String(format: "clip-%05d.mp4", i)),
                to: inbox.appendingPathComponent("c\(i).mp4"))
        }
        let index = dir.appendingPathComponent("index").path, model = CLI.repository.appendingPathComponent("Models/xclip-demo").path
        func start() throws -> (Process, Pipe) {
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["watch", inbox.path, "--index", index, "--model", model, "--settle", "0", "--json"]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            return (process, out)
        }
        // Killed (SIGKILL) right after its first file is committed.
        let (first, out) = try start()
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("\"status\":\"indexed\"") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        XCTAssertEqual(try CLI.run(["verify", "--index", index]).status, 0, "nothing half-written")
        let committed = try CLI.run(["list", "--index", index, "--json"]).json.count
        XCTAssertGreaterThanOrEqual(committed, 1)

        // Restarted: the rest, and nothing twice.
        let (second, _) = try start()
        defer {
            second.terminate()
            second.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, try CLI.run(["list", "--index", index, "--json"]).json.count < 12 { Thread.sleep(forTimeInterval: 0.3) }
        let listed = try CLI.run(["list", "--index", index, "--json"]).json.compactMap { $0["path"] as? String }
        XCTAssertEqual(listed.sorted(), (0..<12).map { inbox.appendingPathComponent("c\($0).mp4").path }.sorted())
        XCTAssertEqual(try CLI.run(["verify", "--index", index]).status, 0)
    }
}
