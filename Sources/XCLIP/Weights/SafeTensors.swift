import Foundation
import Tensor

/// A memory-mapped safetensors file: an 8-byte little-endian header length, a JSON header
/// mapping names to dtype, shape and byte range, then the raw data. Every header fact is
/// checked against the file before any byte is read.
public final class SafeTensorsFile {
    public struct Entry: Equatable {
        public let dtype: String
        public let shape: [Int]
        /// Byte range within the data section.
        public let begin: Int
        public let end: Int
    }

    public let path: String
    public let entries: [String: Entry]
    public let metadata: [String: String]
    private let file: MappedFile
    private var base: UnsafeMutableRawPointer { file.base }
    private let dataStart: Int

    static let dtypeSizes = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2,
        "I8": 1, "U8": 1, "BOOL": 1, "U16": 2, "U32": 4, "U64": 8,
        "F8_E4M3": 1, "F8_E5M2": 1,
    ]

    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path, minimum: 8) {
            ModelError.malformedFile(path: path, reason: "file of \($0) bytes is shorter than the 8-byte header length")
        }
        let size = file.length, mapped = file.base
        let headerLength = Int(clamping: UInt64(littleEndian: mapped.loadUnaligned(as: UInt64.self)))
        guard headerLength <= size - 8 else {
            throw ModelError.malformedFile(path: path, reason: "header length \(headerLength) runs past the end of the \(size)-byte file")
        }
        dataStart = 8 + headerLength
        let headerData = Data(bytes: mapped + 8, count: headerLength)
        guard let json = try? JSONSerialization.jsonObject(with: headerData), let header = json as? [String: Any] else {
            throw ModelError.malformedFile(path: path, reason: "header is not a JSON object")
        }
        (entries, metadata) = try SafeTensorsFile.parse(header: header, dataSize: size - dataStart, path: path)
    }

    private static func parse(header: [String: Any], dataSize: Int, path: String) throws -> ([String: Entry], [String: String]) {
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let fields = value as? [String: Any],
                let dtype = fields["dtype"] as? String,
                let shape = fields["shape"] as? [Int],
                let offsets = fields["data_offsets"] as? [Int], offsets.count == 2
            else {
                throw ModelError.malformedFile(path: path, reason: "tensor \(name) lacks dtype, shape or data_offsets")
            }
            guard shape.allSatisfy({ $0 >= 0 }) else {
                throw ModelError.malformedFile(path: path, reason: "tensor \(name) has a negative dimension in \(shape)")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw ModelError.malformedFile(
                    path: path, reason: "tensor \(name) bytes \(begin)..<\(end) are outside the \(dataSize)-byte data section")
            }
            if let width = dtypeSizes[dtype] {
                // Every size here comes from the file: overflow-checked, and reported without arithmetic that could trap.
                let (elements, overflow) = shape.reduce((1, false)) { acc, d in
                    let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                    return (p, acc.1 || o)
                }
                let (bytes, bytesOverflow) = elements.multipliedReportingOverflow(by: width)
                guard !overflow, !bytesOverflow, bytes == end - begin else {
                    let needs = overflow || bytesOverflow ? "more bytes than a 64-bit size holds" : "\(bytes) bytes"
                    throw ModelError.malformedFile(path: path, reason: "tensor \(name) \(dtype) \(shape) needs \(needs) but spans \(end - begin)")
                }
            }
            // A dtype without a known width is kept (a checkpoint may carry tensors vidsearch never
            // reads); reading it is an error before anything is allocated (floatTensor, integers).
            entries[name] = Entry(dtype: dtype, shape: shape, begin: begin, end: end)
        }
        // No two tensors may share bytes.
        let sorted = entries.sorted { ($0.value.begin, $0.value.end) < ($1.value.begin, $1.value.end) }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.value.begin < previous.value.end {
            throw ModelError.malformedFile(path: path, reason: "tensors \(previous.key) and \(next.key) overlap")
        }
        return (entries, metadata)
    }

    /// The raw bytes of a tensor, valid while this file is alive.
    public func bytes(of name: String) -> UnsafeRawBufferPointer? {
        guard let entry = entries[name] else { return nil }
        return UnsafeRawBufferPointer(start: base + dataStart + entry.begin, count: entry.end - entry.begin)
    }

    /// A float tensor converted to f32 (from F32, F16 or BF16).
    public func floatTensor(_ name: String) throws -> Tensor {
        guard let entry = entries[name], let raw = bytes(of: name) else {
            throw ModelError.missingTensor(name: name, expectedShape: [])
        }
        guard ["F32", "F16", "BF16"].contains(entry.dtype) else {
            throw ModelError.unsupportedDType(name: name, dtype: entry.dtype, expected: "F32, F16 or BF16")
        }
        let tensor = Tensor(shape: entry.shape)
        let n = tensor.count
        switch entry.dtype {
        case "F32":
            for i in 0..<n { tensor.data[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))) }
        case "F16":
            for i in 0..<n { tensor.data[i] = HalfFloat.fromFloat16(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) }
        case "BF16":
            for i in 0..<n {
                tensor.data[i] = HalfFloat.fromBFloat16(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
            }
        default:
            throw ModelError.unsupportedDType(name: name, dtype: entry.dtype, expected: "F32, F16 or BF16")
        }
        return tensor
    }

    /// An integer tensor (I32 or I64) as Int values.
    public func integers(_ name: String) throws -> (shape: [Int], values: [Int]) {
        guard let entry = entries[name], let raw = bytes(of: name) else {
            throw ModelError.missingTensor(name: name, expectedShape: [])
        }
        guard ["I32", "I64"].contains(entry.dtype) else {
            throw ModelError.unsupportedDType(name: name, dtype: entry.dtype, expected: "I32 or I64")
        }
        let n = entry.shape.reduce(1, *)
        switch entry.dtype {
        case "I32": return (entry.shape, (0..<n).map { Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) })
        case "I64": return (entry.shape, (0..<n).map { Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self))) })
        default: throw ModelError.unsupportedDType(name: name, dtype: entry.dtype, expected: "I32 or I64")
        }
    }
}
