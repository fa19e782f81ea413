import CFFmpeg
import Foundation

/// The text subtitle streams of a file (SubRip, ASS/SSA, mov_text, WebVTT in MKV, MP4 or any
/// container FFmpeg reads), decoded by libavcodec into ASS dialogue lines and stripped to plain
/// text. Only subtitle packets are read: every other stream is discarded by the demuxer.
/// Bitmap subtitles (DVD, DVB, PGS) are pictures, not text: noted and left.
enum SubtitleStreamReader {
    struct Track {
        var stream: Int
        var format: String
        var language: String?
        var cues: [CueCollector.SubtitleCueDraft]
        var notes: [String]
    }

    /// A subtitle stream that was not read, and why.
    struct Skipped {
        var stream: Int
        var format: String
        var reason: String
    }

    /// Text tracks in stream order, and the subtitle streams that could not be read.
    static func read(path: String) -> (tracks: [Track], skipped: [Skipped]) {
        var format: UnsafeMutablePointer<AVFormatContext>?
        guard avformat_open_input(&format, path, nil, nil) >= 0, let fmt = format else { return ([], []) }
        defer { avformat_close_input(&format) }
        guard avformat_find_stream_info(fmt, nil) >= 0 else { return ([], []) }

        var notes: [Skipped] = []
        var decoders: [Int: (context: UnsafeMutablePointer<AVCodecContext>, track: Track, collector: CueCollector)] = [:]
        defer {
            for (_, entry) in decoders {
                var c: UnsafeMutablePointer<AVCodecContext>? = entry.context
                avcodec_free_context(&c)
            }
        }
        for i in 0..<Int(fmt.pointee.nb_streams) {
            let stream = fmt.pointee.streams[i]!
            let parameters = stream.pointee.codecpar!
            guard parameters.pointee.codec_type == AVMEDIA_TYPE_SUBTITLE else {
                stream.pointee.discard = AVDISCARD_ALL
                continue
            }
            let name = String(cString: avcodec_get_name(parameters.pointee.codec_id))
            let descriptor = avcodec_descriptor_get(parameters.pointee.codec_id)
            guard let descriptor, descriptor.pointee.props & AV_CODEC_PROP_TEXT_SUB != 0 else {
                notes.append(Skipped(stream: i, format: name, reason: "bitmap subtitles are pictures, not text: not read"))
                stream.pointee.discard = AVDISCARD_ALL
                continue
            }
            guard let codec = avcodec_find_decoder(parameters.pointee.codec_id), let context = avcodec_alloc_context3(codec) else {
                notes.append(Skipped(stream: i, format: name, reason: "no decoder for it in this FFmpeg"))
                stream.pointee.discard = AVDISCARD_ALL
                continue
            }
            var opened = avcodec_parameters_to_context(context, parameters) >= 0
            if opened {
                context.pointee.pkt_timebase = stream.pointee.time_base
                opened = avcodec_open2(context, codec, nil) >= 0
            }
            guard opened else {
                var c: UnsafeMutablePointer<AVCodecContext>? = context
                avcodec_free_context(&c)
                notes.append(Skipped(stream: i, format: name, reason: "its decoder would not open"))
                stream.pointee.discard = AVDISCARD_ALL
                continue
            }
            let language = av_dict_get(stream.pointee.metadata, "language", nil, 0).map { String(cString: $0.pointee.value) }
            decoders[i] = (context, Track(stream: i, format: name, language: language == "und" ? nil : language, cues: [], notes: []), CueCollector())
        }
        guard !decoders.isEmpty else { return ([], notes) }

        let start = fmt.pointee.start_time == vs_av_nopts_value() ? 0 : Double(fmt.pointee.start_time) / Double(AV_TIME_BASE)
        var packet = av_packet_alloc()
        defer { av_packet_free(&packet) }
        var failures: [Int: Int] = [:]
        while av_read_frame(fmt, packet) >= 0 {
            defer { av_packet_unref(packet) }
            let index = Int(packet!.pointee.stream_index)
            guard let entry = decoders[index] else { continue }
            var subtitle = AVSubtitle()
            var got: Int32 = 0
            guard avcodec_decode_subtitle2(entry.context, &subtitle, &got, packet) >= 0 else {
                failures[index, default: 0] += 1
                continue
            }
            guard got != 0 else { continue }
            defer { avsubtitle_free(&subtitle) }
            let base = fmt.pointee.streams[index]!.pointee.time_base
            let tb = Double(base.num) / Double(max(base.den, 1))
            let pts = packet!.pointee.pts == vs_av_nopts_value() ? packet!.pointee.dts : packet!.pointee.pts
            guard pts != vs_av_nopts_value() else {
                failures[index, default: 0] += 1
                continue
            }
            // Shown from the packet's time plus its start offset, for the packet's duration (or,
            // without one, until the subtitle's own end time).
            let shown = Double(pts) * tb - start
            let begin = shown + Double(subtitle.start_display_time) / 1000
            let end =
                packet!.pointee.duration > 0
                ? shown + Double(packet!.pointee.duration) * tb
                : subtitle.end_display_time > subtitle.start_display_time && subtitle.end_display_time != UInt32.max
                    ? shown + Double(subtitle.end_display_time) / 1000 : begin
            var text: [String] = []
            for r in 0..<Int(subtitle.num_rects) {
                guard let rect = subtitle.rects[r] else { continue }
                if let ass = rect.pointee.ass {
                    text.append(dialogueText(String(cString: ass)))
                } else if let plain = rect.pointee.text {
                    text.append(String(cString: plain))
                }
            }
            decoders[index]!.collector.add(start: begin, end: end, markup: text.joined(separator: "\n"))
        }
        var tracks: [Track] = []
        for (index, entry) in decoders.sorted(by: { $0.key < $1.key }) {
            var track = entry.track
            let (cues, trackNotes) = entry.collector.finish()
            track.cues = cues
            track.notes = trackNotes
            if let failed = failures[index] {
                track.notes.append("\(failed) packet\(failed == 1 ? "" : "s") could not be decoded (invalid text or timing): skipped")
            }
            tracks.append(track)
        }
        return (tracks, notes)
    }

    /// The text of an ASS event as libavcodec hands it over: `ReadOrder,Layer,Style,Name,
    /// MarginL,MarginR,MarginV,Effect,Text` (older FFmpeg: a full `Dialogue:` line with the times).
    static func dialogueText(_ line: String) -> String {
        var body = Substring(line)
        let fields: Int
        if body.hasPrefix("Dialogue:") {
            body = body.dropFirst("Dialogue:".count)
            fields = 9
        } else {
            fields = 8
        }
        var commas = 0
        for index in body.indices where body[index] == "," {
            commas += 1
            if commas == fields { return String(body[body.index(after: index)...]).trimmingCharacters(in: .newlines) }
        }
        return String(body)
    }
}
