import Foundation

/// Why a checkpoint could not be pulled. Each case names the repository, file or folder concerned.
public enum HubError: Error, CustomStringConvertible, Equatable {
    case badRepository(String)
    case repositoryNotFound(repo: String)
    case gated(repo: String)
    case tokenRefused(repo: String)
    case revisionNotFound(repo: String, revision: String)
    case fileMissing(repo: String, revision: String, file: String)
    case noWeights(repo: String, revision: String)
    case http(url: String, status: Int)
    case network(url: String, reason: String)
    case checksum(file: String, expected: String, found: String)
    case size(file: String, expected: Int, found: Int)
    case disk(path: String, reason: String)
    case offline(repo: String, revision: String, cache: String)

    public var description: String {
        switch self {
        case .badRepository(let value): return "\(value): not a repository name (ORG/NAME or ORG/NAME@REVISION)"
        case .repositoryNotFound(let repo):
            return "repository \(repo) was not found on the hub (or it is private: set HF_TOKEN to a token that may read it)"
        case .gated(let repo): return "repository \(repo) is gated: accept its terms on the hub and set HF_TOKEN"
        case .tokenRefused(let repo): return "the hub refused the token in HF_TOKEN for \(repo) (invalid or expired)"
        case .revisionNotFound(let repo, let revision): return "repository \(repo) has no revision \(revision)"
        case .fileMissing(let repo, let revision, let file): return "\(repo) at \(revision) has no \(file), which a model needs"
        case .noWeights(let repo, let revision): return "\(repo) at \(revision) has neither model.safetensors nor pytorch_model.bin"
        case .http(let url, let status): return "\(url): the hub answered HTTP \(status)"
        case .network(let url, let reason): return "\(url): \(reason)"
        case .checksum(let file, let expected, let found):
            return "\(file): the download's sha256 is \(found), the hub says \(expected); it was discarded"
        case .size(let file, let expected, let found): return "\(file): \(found) bytes arrived, the hub says \(expected)"
        case .disk(let path, let reason): return "\(path): cannot write (\(reason))"
        case .offline(let repo, let revision, let cache):
            return "HF_HUB_OFFLINE is set and \(repo) at \(revision) is not in the cache (\(cache))"
        }
    }
}
