import Foundation

public enum Formatting {
    /// Seconds as h:mm:ss (or m:ss under an hour), with tenths when `precise`.
    public static func time(_ seconds: Double, precise: Bool = false) -> String {
        let s = max(0, seconds)
        let whole = Int(s)
        let h = whole / 3600, m = (whole % 3600) / 60, sec = whole % 60
        let base = h > 0 ? String(format: "%d:%02d:%02d", h, m, sec) : String(format: "%d:%02d", m, sec)
        return precise ? base + String(format: ".%d", Int((s - Double(whole)) * 10)) : base
    }

    public static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
