/// Why the index could not be opened or changed. Each case names the thing and the reason.
public enum IndexError: Error, CustomStringConvertible, Equatable {
    case locked(path: String, pid: Int32)
    case noIndex(path: String)
    case wrongModel(index: String, indexModel: String, model: String)
    case schemaTooNew(path: String, found: Int, supported: Int)
    case unreadable(path: String, reason: String)
    case corrupt(path: String, reason: String)
    case dimensionMismatch(expected: Int, found: Int)
    case badFactory(factory: String, reason: String)
    case nonFiniteVector(path: String, start: Double)

    /// Errors caused by what the user asked for rather than by the index (exit code 2).
    public var isUsageError: Bool {
        if case .badFactory = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .locked(let path, let pid):
            let holder = pid > 0 ? "pid \(pid)" : "another process that is just starting"
            return "index \(path) is locked by \(holder) (another vidsearch is writing to it)"
        case .noIndex(let path): return "no index at \(path) (run `vidsearch index PATH...` first)"
        case .wrongModel(let index, let indexModel, let model):
            return "index \(index) was built with model \(indexModel); the model given is \(model)"
        case .schemaTooNew(let path, let found, let supported):
            return "index \(path) has schema version \(found); this vidsearch reads up to \(supported)"
        case .unreadable(let path, let reason): return "\(path): \(reason)"
        case .corrupt(let path, let reason): return "index \(path) is damaged: \(reason)"
        case .dimensionMismatch(let expected, let found): return "embedding of dimension \(found), the index holds \(expected)"
        case .nonFiniteVector(let path, let start):
            return "\(path): the model produced a non-finite embedding for the segment at \(start) s (a damaged model?); not stored"
        case .badFactory(let factory, let reason):
            return "--faiss \"\(factory)\" is not a FAISS index type vidsearch can build (\(reason)); nothing was saved"
        }
    }
}
