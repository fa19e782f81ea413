import Foundation

/// A dense, row-major float32 array that owns its (64-byte aligned) memory.
/// Operations take raw pointers and explicit sizes, as BLAS does; this type only holds data.
public final class Tensor {
    public let shape: [Int]
    public let count: Int
    public let data: UnsafeMutablePointer<Float>

    /// A zero-filled tensor.
    public convenience init(shape: [Int]) {
        self.init(uninitialized: shape)
        data.update(repeating: 0, count: max(count, 1))
    }

    /// A tensor whose values are unspecified: for outputs that are written in full before
    /// being read (a product with beta 0, a layer norm), where zero-filling would be wasted work.
    public init(uninitialized shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        count = shape.reduce(1, *)
        data = TensorMemory.allocate(bytes: max(count, 1) * MemoryLayout<Float>.stride).bindMemory(to: Float.self, capacity: max(count, 1))
    }

    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    deinit { TensorMemory.release(UnsafeMutableRawPointer(data), bytes: max(count, 1) * MemoryLayout<Float>.stride) }

    /// Size of the last axis: the width of a row.
    public var columns: Int { shape.last ?? 1 }
    /// Number of rows when the tensor is read as a matrix of `columns`-wide rows.
    public var rows: Int { columns == 0 ? 0 : count / columns }

    public var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// A copy with another shape of the same size.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let out = Tensor(uninitialized: newShape)
        precondition(out.count == count, "cannot reshape \(shape) to \(newShape)")
        out.data.update(from: data, count: count)
        return out
    }

    public subscript(index: Int) -> Float {
        get { data[index] }
        set { data[index] = newValue }
    }

    /// A pointer to row `row` of the matrix view.
    @inline(__always)
    public func row(_ row: Int) -> UnsafeMutablePointer<Float> { data + row * columns }
}
