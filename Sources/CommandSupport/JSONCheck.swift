import Foundation

/// What would stop an object from being written as JSON: JSON has no NaN or infinity, and
/// JSONSerialization fails on them. Names the first such value by its key path, so that the
/// error says what went wrong instead of printing `{}`.
public enum JSONCheck {
    /// nil when `object` serializes; else a reason such as "hits[3].score is -inf".
    public static func problem(_ object: Any) -> String? {
        if JSONSerialization.isValidJSONObject(object) { return nil }
        return nonFinite(object, at: "") ?? "the answer is not a JSON object"
    }

    private static func nonFinite(_ value: Any, at path: String) -> String? {
        switch value {
        case let number as Double where !number.isFinite: return "\(path.isEmpty ? "a value" : path) is \(number)"
        case let number as Float where !number.isFinite: return "\(path.isEmpty ? "a value" : path) is \(number)"
        case let dictionary as [String: Any]:
            for key in dictionary.keys.sorted() {
                if let found = nonFinite(dictionary[key]!, at: path.isEmpty ? key : "\(path).\(key)") { return found }
            }
        case let array as [Any]:
            for (i, element) in array.enumerated() {
                if let found = nonFinite(element, at: "\(path)[\(i)]") { return found }
            }
        default: break
        }
        return nil
    }
}
