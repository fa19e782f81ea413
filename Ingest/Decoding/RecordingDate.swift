import Foundation

/// Dates as containers and users write them: ISO 8601 with or without fractions and zone
/// ("2024-05-01T12:30:00.000000Z", "2024-05-01 12:30:00", "2024-05-01"), read as UTC when no
/// zone is given. Seconds since 1970, or nil.
public enum RecordingDate {
    public static func parse(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 40 else { return nil }
        if let seconds = Double(trimmed), trimmed.allSatisfy({ $0.isNumber || $0 == "." }) { return seconds }  // already seconds
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        for format in [
            "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXXXX", "yyyy-MM-dd'T'HH:mm:ss.SSSXXXXX", "yyyy-MM-dd'T'HH:mm:ssXXXXX",
            "yyyy-MM-dd'T'HH:mm:ss.SSSSSS", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd",
        ] {
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) {
                let seconds = date.timeIntervalSince1970
                // Cameras with no clock write 1904 or 1970: no date is better than a wrong one.
                return seconds > 86_400 ? seconds : nil
            }
        }
        return nil
    }

    /// "yyyy-MM-dd" and nothing else (ten characters can also be seconds since 1970).
    private static func isDay(_ text: String) -> Bool {
        let characters = Array(text)
        guard characters.count == 10 else { return false }
        return characters.enumerated().allSatisfy { i, c in i == 4 || i == 7 ? c == "-" : c.isASCII && c.isNumber }
    }

    /// A filter's bound: a day alone ("2024-05-01") as `before` means the end of that day.
    public static func bound(_ text: String, endOfDay: Bool) -> Double? {
        guard let seconds = parse(text) else { return nil }
        return endOfDay && isDay(text.trimmingCharacters(in: .whitespaces)) ? seconds + 86_399.999 : seconds
    }
}
