import CommandSupport
import Foundation

/// Progress of a long run on standard error: on a terminal a live line (files done/total,
/// segments, video-seconds per second, ETA); otherwise nothing but finished-file lines.
final class Progress {
    private let totalFiles: Int
    private var filesDone = 0
    private var segments = 0
    private var videoSeconds = 0.0
    private var pendingSeconds = 0.0
    private let start = Date()
    private let live: Bool
    private var lastDraw = Date.distantPast

    init(totalFiles: Int, enabled: Bool) {
        self.totalFiles = totalFiles
        live = enabled && isatty(STDERR_FILENO) != 0
    }

    func expect(seconds: Double) { pendingSeconds += seconds }

    func encoded(segments count: Int, seconds: Double) {
        segments += count
        videoSeconds += seconds
        draw()
    }

    func fileDone() {
        filesDone += 1
        draw(force: true)
    }

    /// Prints a line that stays (clearing the live line first).
    func line(_ text: String) {
        if live { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        FileHandle.standardError.write(Data((text + "\n").utf8))
        draw(force: true)
    }

    func finish() {
        if live { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    private func draw(force: Bool = false) {
        guard live, force || Date().timeIntervalSince(lastDraw) > 0.2 else { return }
        lastDraw = Date()
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? videoSeconds / elapsed : 0
        let remaining = max(0, pendingSeconds - videoSeconds)
        let eta = rate > 0 ? Formatting.time(remaining / rate) : "-"
        let text = String(format: "[%d/%d files] %d segments, %.1f video-s/s, ETA %@", filesDone, totalFiles, segments, rate, eta)
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
    }
}
