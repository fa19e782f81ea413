import Foundation
import Hub

/// Where vidsearch looks when no flag says: documented in the README and in `--help`.
public enum Defaults {
    /// --model, else $VIDSEARCH_MODEL, else the bundled Models/xclip-demo found beside the
    /// executable's checkout (walking up from the binary), else ~/.local/share/vidsearch/model.
    /// The running binary, links resolved: what the shell ran may be a bare name found on PATH
    /// (`vidsearch`, a link in /usr/local/bin) that says nothing of where the checkout is.
    public static var executable: URL {
        #if os(Linux)
            if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
                return URL(fileURLWithPath: path)
            }
        #endif
        return (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).resolvingSymlinksInPath()
    }

    public static func modelDirectory(_ flag: String?) -> URL {
        if let flag { return model(flag) }
        if let env = ProcessInfo.processInfo.environment["VIDSEARCH_MODEL"], !env.isEmpty {
            return model(env)
        }
        var dir = executable.deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("Models/xclip-demo")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("config.json").path)
                || FileManager.default.fileExists(atPath: candidate.path)
            {
                return candidate
            }
            dir.deleteLastPathComponent()
        }
        return dataHome.appendingPathComponent("model")
    }

    /// A model named by path, or as `ORG/NAME[@REVISION]` already in the Hugging Face cache (a path
    /// that exists wins over a repository of the same spelling).
    public static func model(_ value: String) -> URL {
        let path = URL(fileURLWithPath: (value as NSString).expandingTildeInPath)
        guard !FileManager.default.fileExists(atPath: path.path), let repo = HubCache.repository(value),
            let snapshot = HubCache.snapshot(repo.id, revision: repo.revision)
        else { return path }
        return snapshot
    }

    /// The bundled sample clips (Samples/demo-clips), found beside the executable's checkout.
    public static func samplesDirectory() -> URL? {
        inCheckout("Samples/demo-clips/labels.jsonl")?.deletingLastPathComponent()
    }

    /// A file of the executable's checkout (walking up from the binary), if there is one.
    public static func inCheckout(_ relativePath: String) -> URL? {
        var dir = executable.deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent(relativePath)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        return nil
    }

    /// Where `vidsearch demo` keeps its index unless told.
    public static var demoIndexDirectory: URL { dataHome.appendingPathComponent("demo-index") }

    /// --index, else $VIDSEARCH_INDEX, else ~/.local/share/vidsearch/index ($XDG_DATA_HOME respected).
    public static func indexDirectory(_ flag: String?) -> URL {
        if let flag { return URL(fileURLWithPath: flag) }
        if let env = ProcessInfo.processInfo.environment["VIDSEARCH_INDEX"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return dataHome.appendingPathComponent("index")
    }

    private static var dataHome: URL {
        let env = ProcessInfo.processInfo.environment
        if let xdg = env["XDG_DATA_HOME"], !xdg.isEmpty { return URL(fileURLWithPath: xdg).appendingPathComponent("vidsearch") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share/vidsearch")
    }
}
