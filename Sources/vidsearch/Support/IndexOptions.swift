import ArgumentParser
import CommandSupport
import Foundation
import Hub
import Ingest
import Query
import Tensor
import VideoIndex
import XCLIP

/// Options shared by the commands that use an index and a model.
struct IndexOptions: ParsableArguments {
    @Option(help: "Index directory. Default: $VIDSEARCH_INDEX or ~/.local/share/vidsearch/index.")
    var index: String?

    @Option(help: "Model directory (a Hugging Face X-CLIP or CLIP checkpoint). Default: $VIDSEARCH_MODEL or the bundled Models/xclip-demo.")
    var model: String?

    var indexDirectory: URL { Defaults.indexDirectory(index) }
}

/// Options of search, which reads one index or several (an archive kept in shards).
struct SearchIndexOptions: ParsableArguments {
    @Option(
        parsing: .singleValue,
        help: "Index directory; repeat it to search several as one. Default: $VIDSEARCH_INDEX or ~/.local/share/vidsearch/index.")
    var index: [String] = []

    @Option(help: "Model directory (a Hugging Face X-CLIP or CLIP checkpoint). Default: $VIDSEARCH_MODEL or the bundled Models/xclip-demo.")
    var model: String?

    var indexDirectories: [URL] { index.isEmpty ? [Defaults.indexDirectory(nil)] : index.map { Defaults.indexDirectory($0) } }
}

/// Runs `body`, turning index and model errors into exit code 3 with their message.
func withIndexOrModel<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as QueryErrorLike {
        Output.error("\(error)")
        throw ExitCodes.usage
    } catch let error as IndexError where error.isUsageError {
        Output.error("\(error)")
        throw ExitCodes.usage
    } catch {
        Output.error("\(error)")
        throw ExitCodes.indexOrModel
    }
}

/// Errors that are the user's input rather than the index's or model's (exit code 2).
protocol QueryErrorLike: Error {}

extension QueryError: QueryErrorLike {}
