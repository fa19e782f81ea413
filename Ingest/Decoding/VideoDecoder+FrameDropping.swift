import CFFmpeg
import Foundation

/// Frame dropping: the packets read ahead of the decoder, and which of their frames no wanted
/// time shows (so that the decoder may leave them undecoded, bit for bit exact).
extension VideoDecoder {
    /// Reads packets until `pending` holds the lookahead (one packet where nothing is dropped) or
    /// the file ends; notes how far every stream's data goes.
    func readAhead(_ format: UnsafeMutablePointer<AVFormatContext>, _ packet: UnsafeMutablePointer<AVPacket>) {
        let wanted = canSkip && skipsUnneededFrames ? Self.lookahead : 1
        while pending.count < wanted {
            guard av_read_frame(format, packet) >= 0 else { return }
            if packet.pointee.pts != vs_av_nopts_value(), let stream = format.pointee.streams[Int(packet.pointee.stream_index)] {
                let base = stream.pointee.time_base
                let end = Double(packet.pointee.pts + max(packet.pointee.duration, 0)) * Double(base.num) / Double(max(base.den, 1)) - startTime
                if end > (furthestPacketTime ?? -.infinity) { furthestPacketTime = end }
            }
            guard packet.pointee.stream_index == streamIndex, let kept = av_packet_alloc() else {
                av_packet_unref(packet)
                continue
            }
            if packet.pointee.pts == vs_av_nopts_value() { packetTimesKnown = false }
            av_packet_move_ref(kept, packet)
            pending.append(kept)
        }
    }

    /// A packet's presentation time; nil without one, and for a packet whose frame the decoder
    /// decodes but never shows (AV_PKT_FLAG_DISCARD: before an edit list's start), which is nobody's
    /// successor on screen.
    func packetTime(_ packet: UnsafeMutablePointer<AVPacket>) -> Double? {
        guard packet.pointee.pts != vs_av_nopts_value(), packet.pointee.flags & AV_PKT_FLAG_DISCARD == 0 else { return nil }
        return Double(packet.pointee.pts) * timeBase - startTime
    }

    /// Whether the frame of a packet shown from `time` is on screen at none of the wanted times, so
    /// that the decoder may drop it if nothing refers to it. It is on screen from its time until the
    /// next frame's (the smallest later time among the packets around it). Kept whenever that
    /// cannot be told: the first frame after opening or seeking (it stands for earlier times), a
    /// frame whose successor is not in sight, one still on screen past the last wanted time (a
    /// later call may want it), and every frame of a stream with packets that carry no time.
    func skippable(_ time: Double) -> Bool {
        guard canSkip, skipsUnneededFrames, packetTimesKnown, let last = wantedTimes.last else { return false }
        let around = sentTimes + pending.compactMap { packetTime($0) }
        guard around.contains(where: { $0 < time - 1e-9 }),
            let until = around.filter({ $0 > time + 1e-9 }).min(), until <= last
        else { return false }
        // Kept when a wanted time falls anywhere from its time to its successor's (both ends included).
        return !wantedTimes.contains { $0 >= time - 1e-6 && $0 <= until + 1e-6 }
    }
}
