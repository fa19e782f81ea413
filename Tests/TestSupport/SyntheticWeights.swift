import Foundation

/// A checkpoint's weights made from its tensor list (Tools/hub_reference.py's weights.json), so
/// that a full-size model is tested without committing its weights. Value i of tensor N comes
/// from z = splitmix64(fnv1a64(N) + i): "weight" is ((z >> 53) - 1024) / 32768, "norm" is
/// 1 + ((z >> 56) - 128) / 1024, "const:V" is V. The tool makes the reference from the same rule;
/// every value is exact in f16 and f32, so the file's dtype does not change the model.
public enum SyntheticWeights {
    public struct Tensor: Decodable {
        public let name: String
        public let shape: [Int]
        public let rule: String
    }

    public struct Manifest: Decodable {
        public let dtype: String
        public let tensors: [Tensor]
    }

    /// Writes `manifest`'s tensors as a safetensors file at `url`.
    public static func write(_ manifest: Manifest, to url: URL) throws {
        let bytesPerValue: Int
        switch manifest.dtype {
        case "F32": bytesPerValue = 4
        case "F16": bytesPerValue = 2
        default: throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "dtype \(manifest.dtype)"])
        }
        var header: [String: Any] = ["__metadata__": ["format": "pt"]]
        var offset = 0
        for t in manifest.tensors {
            let size = t.shape.reduce(1, *) * bytesPerValue
            header[t.name] = ["dtype": manifest.dtype, "shape": t.shape, "data_offsets": [offset, offset + size]]
            offset += size
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        FileManager.default.createFile(atPath: url.path, contents: nil)
        let file = try FileHandle(forWritingTo: url)
        defer { try? file.close() }
        var length = UInt64(json.count).littleEndian
        try file.write(contentsOf: Data(bytes: &length, count: 8))
        try file.write(contentsOf: json)
        for t in manifest.tensors {
            try file.write(contentsOf: values(t, bytesPerValue: bytesPerValue))
        }
    }

    static func values(_ t: Tensor, bytesPerValue: Int) -> Data {
        let count = t.shape.reduce(1, *)
        var data = Data(count: count * bytesPerValue)
        let seed = fnv1a64(t.name)
        let constant = t.rule.hasPrefix("const:") ? Float(t.rule.dropFirst(6)) : nil
        data.withUnsafeMutableBytes { raw in
            for i in 0..<count {
                let value: Float
                if let constant {
                    value = constant
                } else {
                    let z = splitmix64(seed &+ UInt64(i))
                    value = t.rule == "norm" ? 1 + (Float(z >> 56) - 128) / 1024 : (Float(z >> 53) - 1024) / 32768
                }
                if bytesPerValue == 4 {
                    raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
                } else {
                    raw.storeBytes(of: Float16(value).bitPattern.littleEndian, toByteOffset: i * 2, as: UInt16.self)
                }
            }
        }
        return data
    }

    static func fnv1a64(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return h
    }

    static func splitmix64(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
