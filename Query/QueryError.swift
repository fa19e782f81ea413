/// Why a query could not be run.
public enum QueryError: Error, CustomStringConvertible, Equatable {
    case emptyQuery
    case noTokens(String)

    public var description: String {
        switch self {
        case .emptyQuery: return "the query is empty: say what to look for, e.g. \"a dog catching a frisbee\""
        case let .noTokens(text): return "the query \"\(text)\" has no words the model can read"
        }
    }
}
