import Foundation

/// What ran the large products that asked for oneDNN on the calling thread: so that a caller
/// (the ingest pipeline, a test) can say what actually made a vector, not what was asked for.
/// A product whose oneDNN primitive could not be made or run falls back to OpenBLAS f32 and is
/// counted as such. Per thread: each pipeline worker tallies its own segment.
public struct ProductTally: Equatable {
    public var onednnF32 = 0
    public var onednnBF16 = 0
    /// Asked of oneDNN, run in OpenBLAS f32 instead.
    public var fallbacks = 0

    public init() {}

    /// The precision of what ran, as an index record keeps it: "bf16" when every product asked
    /// of bf16 ran in it, "f32" when none did (or none was asked), "bf16+f32" for a mix.
    public var precision: String {
        onednnBF16 == 0 ? "f32" : fallbacks == 0 ? "bf16" : "bf16+f32"
    }

    /// This thread's tally since the last `take`, which starts it again.
    public static func take() -> ProductTally {
        let box = current
        defer { box.tally = ProductTally() }
        return box.tally
    }

    static func count(_ update: (inout ProductTally) -> Void) { update(&current.tally) }

    private final class Box { var tally = ProductTally() }
    private static let key = "vidsearch.ProductTally"
    private static var current: Box {
        let dictionary = Thread.current.threadDictionary
        if let box = dictionary[key] as? Box { return box }
        let box = Box()
        dictionary[key] = box
        return box
    }
}
