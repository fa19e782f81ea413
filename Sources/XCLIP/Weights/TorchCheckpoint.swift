import Tensor

/// A `pytorch_model.bin` (what `torch.save` writes: a ZIP archive of `data.pkl`, the state dict's
/// pickle, and one member per storage under `data/`), read without Python and without running the
/// pickle (TensorUnpickler). Float tensors come back as f32 from f32, f16, bf16 or f64 storages,
/// views (an offset, strides) included.
public final class TorchCheckpoint: TensorSource {
    public let path: String
    private let archive: ZipArchive
    private let prefix: String
    private let tensors: [String: TensorUnpickler.TensorReference]

    static let elementSizes = ["Float": 4, "Half": 2, "BFloat16": 2, "Double": 8, "Long": 8, "Int": 4, "Short": 2, "Char": 1, "Byte": 1, "Bool": 1]

    public init(path: String) throws {
        self.path = path
        archive = try ZipArchive(path: path)
        // Members sit under one folder, named after the file it was saved as: "NAME/data.pkl".
        guard let pickle = archive.members.keys.filter({ $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }).min(by: { $0.count < $1.count }),
            let member = archive.members[pickle]
        else {
            throw ZipArchive.malformed(path, "no data.pkl (not a torch.save archive; the legacy pre-1.6 format is not read)")
        }
        prefix = String(pickle.dropLast("data.pkl".count))
        tensors = try TensorUnpickler(path: path).read(archive.bytes(member))
    }

    public var names: [String] { tensors.keys.sorted() }

    public func isHalf(_ name: String) -> Bool { tensors[name]?.dtype == "Half" }

    public func tensor(named name: String, shape: [Int]) throws -> Tensor? {
        guard let reference = tensors[name] else { return nil }
        return try floatTensor(name, reference)
    }

    /// The tensor `name` as f32, laid out contiguously.
    public func floatTensor(_ name: String) throws -> Tensor {
        guard let reference = tensors[name] else { throw ModelError.missingTensor(name: name, expectedShape: []) }
        return try floatTensor(name, reference)
    }

    private func floatTensor(_ name: String, _ t: TensorUnpickler.TensorReference) throws -> Tensor {
        guard ["Float", "Half", "BFloat16", "Double"].contains(t.dtype), let size = Self.elementSizes[t.dtype] else {
            throw ModelError.unsupportedDType(name: name, dtype: t.dtype, expected: "Float, Half, BFloat16 or Double")
        }
        guard let member = archive.members[prefix + "data/" + t.storage] else {
            throw ZipArchive.malformed(path, "tensor \(name)'s storage data/\(t.storage) is missing")
        }
        guard member.size >= t.storageCount * size else {
            throw ZipArchive.malformed(path, "storage data/\(t.storage) holds \(member.size) bytes, \(t.storageCount) \(t.dtype) values expected")
        }
        // The furthest element the view reaches must lie inside the storage.
        let count = t.shape.reduce(1, *)
        let last = t.offset + zip(t.shape, t.stride).reduce(0) { $0 + max($1.0 - 1, 0) * $1.1 }
        guard t.offset >= 0, count == 0 || last < t.storageCount else {
            throw ZipArchive.malformed(
                path, "tensor \(name) (size \(t.shape), stride \(t.stride), offset \(t.offset)) reaches past its storage of \(t.storageCount)")
        }
        let raw = archive.bytes(member)
        let out = Tensor(shape: t.shape)
        var index = [Int](repeating: 0, count: t.shape.count)
        for i in 0..<count {
            var element = t.offset
            for d in 0..<index.count { element += index[d] * t.stride[d] }
            let at = element * size
            switch t.dtype {
            case "Float": out.data[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
            case "Half": out.data[i] = HalfFloat.fromFloat16(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
            case "BFloat16": out.data[i] = HalfFloat.fromBFloat16(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
            default: out.data[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))))
            }
            // The next index, last axis fastest.
            var d = index.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < t.shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return out
    }
}
