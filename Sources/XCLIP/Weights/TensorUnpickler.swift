/// Reads the pickle of a PyTorch state dict (`data.pkl` inside a `torch.save` archive) without
/// running anything: a small stack machine that knows only the opcodes such a pickle uses and only
/// the globals of a tensor state dict (OrderedDict, `_rebuild_tensor_v2`, `_rebuild_parameter`,
/// the typed storages). Any other global or opcode is refused with a clear error, where Python's
/// own unpickler would import and call it.
struct TensorUnpickler {
    /// A tensor as the pickle describes it: a view into a storage of the archive.
    struct TensorReference: Equatable {
        /// The storage's member name under `data/`, its element type (the storage class's name
        /// without "Storage") and its length in elements.
        let storage: String
        let dtype: String
        let storageCount: Int
        let offset: Int
        let shape: [Int]
        let stride: [Int]
    }

    /// The globals a state dict needs; everything else is refused.
    static let allowedGlobals: Set<String> = [
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
        "torch.FloatStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.DoubleStorage",
        "torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage", "torch.BoolStorage",
    ]

    private final class Box {
        var items: [(Value, Value)] = []
        var list: [Value] = []
    }

    private indirect enum Value {
        case none
        case bool(Bool)
        case int(Int)
        case float(Double)
        case string(String)
        case tuple([Value])
        case dict(Box)
        case list(Box)
        case global(String)
        case storage(name: String, dtype: String, count: Int)
        case tensor(TensorReference)
        case mark
    }

    let path: String

    /// The state dict: every tensor by name (non-tensor entries are skipped).
    func read(_ bytes: UnsafeRawBufferPointer) throws -> [String: TensorReference] {
        var stack: [Value] = []
        var memo: [Int: Value] = [:]
        var at = 0
        func fail(_ reason: String) -> ModelError { ZipArchive.malformed(path, "data.pkl: \(reason)") }
        func take(_ n: Int) throws -> UnsafeRawBufferPointer {
            guard n >= 0, at + n <= bytes.count else { throw fail("ends in the middle of an opcode") }
            defer { at += n }
            return UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)])
        }
        func uint(_ n: Int) throws -> Int {
            let raw = try take(n)
            var value = 0
            for i in (0..<n).reversed() { value = value << 8 | Int(raw[i]) }
            return value
        }
        func line() throws -> String {
            guard let end = bytes[at...].firstIndex(of: 0x0A) else { throw fail("a GLOBAL without its line end") }
            defer { at = end + 1 }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<end]), as: UTF8.self)
        }
        func pop() throws -> Value {
            guard let value = stack.popLast() else { throw fail("pops an empty stack") }
            return value
        }
        func popMark() throws -> [Value] {
            guard let mark = stack.lastIndex(where: { if case .mark = $0 { return true } else { return false } }) else {
                throw fail("no MARK to pop to")
            }
            let items = Array(stack[(mark + 1)...])
            stack.removeSubrange(mark...)
            return items
        }
        func int(_ value: Value, _ what: String) throws -> Int {
            guard case .int(let n) = value else { throw fail("\(what) is not an integer") }
            return n
        }
        func ints(_ value: Value, _ what: String) throws -> [Int] {
            guard case .tuple(let items) = value else { throw fail("\(what) is not a tuple") }
            return try items.map { try int($0, what) }
        }
        func setItems(_ pairs: [Value], into target: Value) throws {
            guard case .dict(let box) = target, pairs.count % 2 == 0 else { throw fail("SETITEM(S) on something not a dict") }
            for i in stride(from: 0, to: pairs.count, by: 2) { box.items.append((pairs[i], pairs[i + 1])) }
        }

        while true {
            let op = try uint(1)
            switch op {
            case 0x80: _ = try uint(1)  // PROTO
            case 0x95: _ = try uint(8)  // FRAME
            case 0x2E:  // STOP
                guard case .dict(let box) = try pop() else { throw fail("the pickle is not a dict (a state dict)") }
                var tensors: [String: TensorReference] = [:]
                for (key, value) in box.items {
                    if case .string(let name) = key, case .tensor(let tensor) = value { tensors[name] = tensor }
                }
                return tensors
            case 0x28: stack.append(.mark)  // MARK
            case 0x29: stack.append(.tuple([]))  // EMPTY_TUPLE
            case 0x74: stack.append(.tuple(try popMark()))  // TUPLE
            case 0x85: stack.append(.tuple([try pop()]))  // TUPLE1
            case 0x86:
                let b = try pop(), a = try pop()
                stack.append(.tuple([a, b]))
            case 0x87:
                let c = try pop(), b = try pop(), a = try pop()
                stack.append(.tuple([a, b, c]))
            case 0x7D: stack.append(.dict(Box()))  // EMPTY_DICT
            case 0x5D: stack.append(.list(Box()))  // EMPTY_LIST
            case 0x73:
                let v = try pop(), k = try pop()
                try setItems([k, v], into: stack.last ?? .none)  // SETITEM
            case 0x75:
                let items = try popMark()
                try setItems(items, into: stack.last ?? .none)  // SETITEMS
            case 0x61, 0x65:  // APPEND, APPENDS
                let items = op == 0x61 ? [try pop()] : try popMark()
                guard case .list(let box)? = stack.last else { throw fail("APPEND on something not a list") }
                box.list += items
            case 0x4E: stack.append(.none)  // NONE
            case 0x88: stack.append(.bool(true))  // NEWTRUE
            case 0x89: stack.append(.bool(false))  // NEWFALSE
            case 0x4B: stack.append(.int(try uint(1)))  // BININT1
            case 0x4D: stack.append(.int(try uint(2)))  // BININT2
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try uint(4)))))  // BININT
            case 0x8A:  // LONG1
                let n = try uint(1)
                guard n <= 8 else { throw fail("an integer of \(n) bytes") }
                let raw = try take(n)
                var value: Int64 = 0
                for i in (0..<n).reversed() { value = value << 8 | Int64(raw[i]) }
                if n > 0 && n < 8 && raw[n - 1] & 0x80 != 0 { value -= Int64(1) << (8 * n) }
                stack.append(.int(Int(value)))
            case 0x47: stack.append(.float(Double(bitPattern: UInt64(try uint(8)).byteSwapped)))  // BINFLOAT (big-endian)
            case 0x58, 0x8C, 0x8D:  // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
                let n = try uint(op == 0x58 ? 4 : op == 0x8C ? 1 : 8)
                stack.append(.string(String(decoding: try take(n), as: UTF8.self)))
            case 0x71: memo[try uint(1)] = stack.last  // BINPUT
            case 0x72: memo[try uint(4)] = stack.last  // LONG_BINPUT
            case 0x94: memo[memo.count] = stack.last  // MEMOIZE
            case 0x68, 0x6A:  // BINGET, LONG_BINGET
                let key = try uint(op == 0x68 ? 1 : 4)
                guard let value = memo[key] else { throw fail("BINGET of memo \(key), never put") }
                stack.append(value)
            case 0x63:  // GLOBAL
                let name = "\(try line()).\(try line())"
                guard Self.allowedGlobals.contains(name) else {
                    throw fail("refuses the global \(name): only a tensor state dict is read, and nothing in it is run")
                }
                stack.append(.global(name))
            case 0x51:  // BINPERSID: ('storage', type, key, location, count)
                guard case .tuple(let id) = try pop(), id.count >= 5, case .string("storage") = id[0],
                    case .global(let type) = id[1], case .string(let key) = id[2], type.hasSuffix("Storage")
                else {
                    throw fail("a persistent id that is not a tensor storage")
                }
                let dtype = String(type.dropFirst("torch.".count).dropLast("Storage".count))
                stack.append(.storage(name: key, dtype: dtype, count: try int(id[4], "a storage's size")))
            case 0x52:  // REDUCE
                let arguments = try pop(), callable = try pop()
                guard case .global(let name) = callable, case .tuple(let args) = arguments else { throw fail("REDUCE of something not a global") }
                switch name {
                case "collections.OrderedDict": stack.append(.dict(Box()))
                case "torch._utils._rebuild_tensor_v2":
                    guard args.count >= 4, case .storage(let storage, let dtype, let count) = args[0] else {
                        throw fail("_rebuild_tensor_v2 without a storage")
                    }
                    let shape = try ints(args[2], "a tensor's size"), stride = try ints(args[3], "a tensor's stride")
                    guard shape.count == stride.count, shape.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }) else {
                        throw fail("a tensor of size \(shape) and stride \(stride)")
                    }
                    stack.append(
                        .tensor(
                            TensorReference(
                                storage: storage, dtype: dtype, storageCount: count,
                                offset: try int(args[1], "a storage offset"), shape: shape, stride: stride)))
                case "torch._utils._rebuild_parameter":
                    guard let first = args.first, case .tensor = first else { throw fail("_rebuild_parameter without a tensor") }
                    stack.append(first)
                default: throw fail("cannot call \(name)")
                }
            case 0x62: _ = try pop()  // BUILD: a dict's _metadata, ignored
            default:
                throw fail(String(format: "opcode 0x%02x at byte %d is not one a tensor state dict uses", op, at - 1))
            }
        }
    }
}
