import ArgumentParser
import CommandSupport
import Foundation
import Hub

/// `vidsearch model pull`: a checkpoint from the Hugging Face hub into its cache, where every
/// command then finds it by name (`--model ORG/NAME`).
struct ModelPull: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download a checkpoint from the Hugging Face hub into its cache.",
        discussion: """
            Fetches config.json, preprocessor_config.json, the tokenizer (vocab.json, merges.txt) and \
            the weights (model.safetensors, else pytorch_model.bin) of an X-CLIP or CLIP checkpoint into \
            the cache huggingface_hub uses ($HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub): what \
            Python's tools already downloaded is not fetched again, and the other way round. A download \
            cut short resumes where it stopped (in the same run, or the next); every large file is \
            checked against the sha256 the hub gives, and a partial or corrupt file is never used. \
            $HF_ENDPOINT names another hub, $HF_TOKEN is sent for private or gated repositories (to the \
            hub's own host only), and with $HF_HUB_OFFLINE=1 only the cache is read. \
            Exit status: 0 pulled (or already cached), 2 not a repository name, 3 it could not be pulled \
            (the message says why: unknown repository or revision, refused token, no network, a bad \
            checksum, a full disk).

            Examples:
              vidsearch model pull openai/clip-vit-base-patch32
              vidsearch model pull microsoft/xclip-base-patch32@main --json
              vidsearch index ~/footage --model openai/clip-vit-base-patch32
            """
    )

    @Argument(help: "ORG/NAME, or ORG/NAME@REVISION (a branch, tag or commit; default main).")
    var repository: String

    @Flag(help: "One JSON object when done (repository, revision, commit, path, files).")
    var json = false

    func validate() throws {
        guard HubCache.repository(repository) != nil else { throw ValidationError(HubError.badRepository(repository).description) }
    }

    func run() throws {
        let repo = HubCache.repository(repository)!
        var downloader = HubDownloader()
        let live = isatty(STDERR_FILENO) != 0
        var lastLine = Date.distantPast, lastShare = -1
        downloader.progress = { p in
            // On a terminal a live line; otherwise a line every 10% of a file.
            let share = p.total > 0 ? p.received * 10 / p.total : -1
            if live {
                guard Date().timeIntervalSince(lastLine) > 0.2 || p.received == p.total else { return }
                lastLine = Date()
            } else {
                guard share != lastShare else { return }
                lastShare = share
            }
            let eta = p.total > 0 && p.bytesPerSecond > 0 ? " ETA \(Formatting.time(Double(p.total - p.received) / p.bytesPerSecond))" : ""
            let of = p.total > 0 ? " of \(Self.megabytes(p.total))" : ""
            let text = "\(p.file): \(Self.megabytes(p.received))\(of), \(Self.megabytes(Int(p.bytesPerSecond)))/s\(eta)"
            FileHandle.standardError.write(Data((live ? "\r\u{1B}[K" + text : text + "\n").utf8))
        }
        let pulled: HubDownloader.Pulled
        do { pulled = try downloader.pull(repo.id, revision: repo.revision) } catch let error as HubError {
            if live { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            Output.error(error.description)
            throw ExitCodes.indexOrModel
        }
        if live { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        if json {
            Output.json([
                "repository": repo.id, "revision": repo.revision, "commit": pulled.commit, "path": pulled.snapshot.path,
                "files": pulled.files.map { ["name": $0.name, "bytes": $0.bytes, "downloaded": $0.downloaded] as [String: Any] },
            ])
            return
        }
        for file in pulled.files {
            print("\(file.downloaded ? "fetched" : "cached ")  \(Formatting.pad(Self.megabytes(file.bytes), 10)) \(file.name)")
        }
        print("\(repo.id) at \(repo.revision) (commit \(pulled.commit.prefix(12))) is in \(pulled.snapshot.path)")
        print("use it with: --model \(repository)")
    }

    static func megabytes(_ bytes: Int) -> String {
        bytes >= 1_000_000 ? String(format: "%.1f MB", Double(bytes) / 1e6) : String(format: "%.1f kB", Double(bytes) / 1e3)
    }
}
