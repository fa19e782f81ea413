/// A weight matrix W [out, in] (nn.Linear's layout) repacked for products with few input rows,
/// such as a text query's tokens: panels of 16 output features, each stored as [in][16], so a
/// product streams every weight once, in order, and no row needs a horizontal sum. Kept in f32,
/// or in f16 (half the bytes, converted as read) when the checkpoint stored it so.
public final class PanelMatrix {
    /// Output features per panel: two 8-lane vectors.
    public static let width = 16
    /// Output features (W's rows).
    public let rows: Int
    /// Input features (W's columns).
    public let columns: Int
    public let isHalf: Bool
    let storage: UnsafeMutableRawPointer

    public var panels: Int { (rows + Self.width - 1) / Self.width }

    /// W repacked; with `half`, its values rounded to binary16 (exact when they came from binary16).
    public init(_ weight: Tensor, half: Bool) {
        precondition(weight.shape.count == 2, "panel matrix from \(weight.shape)")
        rows = weight.shape[0]
        columns = weight.shape[1]
        isHalf = half
        let count = max((rows + Self.width - 1) / Self.width * Self.width * columns, 1)
        storage = .allocate(byteCount: count * (half ? 2 : 4), alignment: 64)
        // Features past `rows` in the last panel are zero; the product never stores them.
        if half {
            let p = storage.bindMemory(to: Float16.self, capacity: count)
            p.initialize(repeating: 0, count: count)
            for o in 0..<rows { for i in 0..<columns { p[Self.offset(o, i, columns)] = Float16(weight.data[o * columns + i]) } }
        } else {
            let p = storage.bindMemory(to: Float.self, capacity: count)
            p.initialize(repeating: 0, count: count)
            for o in 0..<rows { for i in 0..<columns { p[Self.offset(o, i, columns)] = weight.data[o * columns + i] } }
        }
    }

    deinit { storage.deallocate() }

    /// W[o, i]'s place: panel o / 16, then input feature i, then lane o % 16.
    @inline(__always)
    static func offset(_ o: Int, _ i: Int, _ columns: Int) -> Int {
        (o / width) * columns * width + i * width + o % width
    }
}
