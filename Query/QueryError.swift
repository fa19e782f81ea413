/// Why a query could not be run.
public enum QueryError: Error, CustomStringConvertible, Equatable {
    case emptyQuery
    case noTokens(String)
    case noSegment(Int64)
    case notIndexed(String)

    public var description: String {
        switch self {
        case .emptyQuery: return "the query is empty: say what to look for, e.g. \"a dog catching a frisbee\""
        case .noTokens(let text): return "the query \"\(text)\" has no words the model can read"
        case .notIndexed(let path): return "\(path) is not in the index (vidsearch index it first)"
        case .noSegment(let id): return "the index holds no segment \(id) (vidsearch search --json gives each hit's segment id)"
        }
    }
}
