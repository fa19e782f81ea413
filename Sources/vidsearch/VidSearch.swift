import ArgumentParser
import CommandSupport
import Foundation

@main
struct VidSearch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vidsearch",
        abstract: "Search video archives in natural language with X-CLIP.",
        discussion: """
            Index a folder of footage, then ask for what happens in it:
              vidsearch index ~/footage
              vidsearch search "a dog catching a frisbee"
              vidsearch demo                      # the bundled model on generated clips

            Defaults: the index lives in $VIDSEARCH_INDEX or ~/.local/share/vidsearch/index; the model \
            is $VIDSEARCH_MODEL or the bundled Models/xclip-demo. Both can be set with --index/--model.

            Exit status: 0 ok, 1 some inputs failed (the rest was done), 2 usage error (bad flags, \
            empty query), 3 index or model error (missing, locked, damaged, built by another model).
            """,
        version: "0.1.0",
        subcommands: [
            IndexCommand.self, SearchCommand.self, DemoCommand.self, RemoveCommand.self, ListCommand.self, StatsCommand.self,
            VerifyCommand.self, MergeCommand.self, ExportCommand.self, ServeCommand.self, WatchCommand.self, TokenizeCommand.self, ModelCommand.self,
            BenchCommand.self,
        ]
    )

    /// ArgumentParser's own usage errors exit 64; vidsearch documents 2 for them. The body runs
    /// on the main thread: a command that blocks (the model's work) blocks it, not the
    /// concurrency pool that `serve` (an AsyncParsableCommand) answers requests on.
    static func main() async {
        OpenMPSpinning.shortenIfUnset()
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
            if Output.unwritten > 0 { Foundation.exit(ExitCodes.someFailed.rawValue) }
        } catch {
            let code = exitCode(for: error)
            if code == ExitCode(64) {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitCodes.usage.rawValue)
            }
            exit(withError: error)
        }
    }
}
