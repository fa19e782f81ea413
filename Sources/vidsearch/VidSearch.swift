import ArgumentParser

@main
struct VidSearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vidsearch",
        abstract: "Search video archives in natural language with X-CLIP.",
        discussion: """
        Index a folder of footage, then ask for what happens in it:
          vidsearch index ~/footage
          vidsearch search "a dog catching a frisbee"
        """,
        version: "0.1.0",
        subcommands: [TokenizeCommand.self, ModelCommand.self]
    )
}
