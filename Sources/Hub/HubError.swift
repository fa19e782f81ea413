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
        case let .badRepository(value): return "\(value): not a repository name (ORG/NAME or ORG/NAME@REVISION)"
        case let .repositoryNotFound(repo):
            return "repository \(repo) was not found on the hub (or it is private: set HF_TOKEN to a token that may read it)"
        case let .gated(repo): return "repository \(repo) is gated: accept its terms on the hub and set HF_TOKEN"
        case let .tokenRefused(repo): return "the hub refused the token in HF_TOKEN for \(repo) (invalid or expired)"
        case let .revisionNotFound(repo, revision): return "repository \(repo) has no revision \(revision)"
        case let .fileMissing(repo, revision, file): return "\(repo) at \(revision) has no \(file), which a model needs"
        case let .noWeights(repo, revision): return "\(repo) at \(revision) has neither model.safetensors nor pytorch_model.bin"
        case let .http(url, status): return "\(url): the hub answered HTTP \(status)"
        case let .network(url, reason): return "\(url): \(reason)"
        case let .checksum(file, expected, found):
            return "\(file): the download's sha256 is \(found), the hub says \(expected); it was discarded"
        case let .size(file, expected, found): return "\(file): \(found) bytes arrived, the hub says \(expected)"
        case let .disk(path, reason): return "\(path): cannot write (\(reason))"
        case let .offline(repo, revision, cache):
            return "HF_HUB_OFFLINE is set and \(repo) at \(revision) is not in the cache (\(cache))"
        }
    }
}
