import Foundation

/// The captions of a folder of sample clips (its labels.jsonl: one JSON object per clip with
/// `file`, `caption` and `motion`), for the demo and the quality benchmark.
public enum SampleLabels {
    /// file name -> caption and motion.
    public static func read(_ dir: URL) -> [String: (caption: String, motion: String)] {
        guard let text = try? String(contentsOf: dir.appendingPathComponent("labels.jsonl"), encoding: .utf8) else { return [:] }
        var labels: [String: (caption: String, motion: String)] = [:]
        for line in text.split(separator: "\n") {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let file = object["file"] as? String, let caption = object["caption"] as? String
            {
                labels[file] = (caption, object["motion"] as? String ?? "")
            }
        }
        return labels
    }
}
