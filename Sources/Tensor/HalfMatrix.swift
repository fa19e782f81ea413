/// A row-major matrix of IEEE binary16 values: a weight matrix kept at half the bytes where it
/// was stored that way, converted to f32 as the few-row kernel reads it. For products that are
/// bound by reading their weights (a text query), half the bytes is nearly half the time.
public final class HalfMatrix {
    public let rows: Int
    public let columns: Int
    public let data: UnsafeMutablePointer<Float16>

    /// The f32 values rounded to binary16 (exact when they came from binary16).
    public init(_ tensor: Tensor) {
        precondition(tensor.shape.count == 2, "half matrix from \(tensor.shape)")
        rows = tensor.shape[0]
        columns = tensor.shape[1]
        data = .allocate(capacity: max(rows * columns, 1))
        for i in 0..<(rows * columns) { data[i] = Float16(tensor.data[i]) }
    }

    deinit { data.deallocate() }
}
