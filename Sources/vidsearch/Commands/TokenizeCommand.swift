import ArgumentParser
import CommandSupport
import Foundation
import XCLIP

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Show the CLIP token ids the model reads for a text.",
        discussion: """
            Prints the ids exactly as the model reads them: the start token 49406, the text's \
            tokens (cut to fit the 77-token context), and the end token 49407.

            Examples:
              vidsearch tokenize "a dog catching a frisbee"
              vidsearch tokenize --json "It's 2024!"      # {"ids":[49406,585,568,...,49407]}
            """
    )

    @Argument(help: "The text to tokenize.")
    var text: String

    @Option(
        help:
            "Model directory holding the vocabulary (vocab.json + merges.txt, or bpe_simple_vocab_16e6.txt.gz). Default: $VIDSEARCH_MODEL or the bundled model."
    )
    var model: String?

    @Flag(help: "Print {\"ids\":[...]} on one line.")
    var json = false

    func run() throws {
        let tokenizer: CLIPTokenizer
        do {
            tokenizer = try CLIPTokenizer(directory: Defaults.modelDirectory(model))
        } catch {
            Output.error("\(error)")
            throw ExitCodes.indexOrModel
        }
        let ids = tokenizer.encode(text)
        if json {
            print("{\"ids\":[" + ids.map(String.init).joined(separator: ",") + "]}")
        } else {
            print(ids.map(String.init).joined(separator: " "))
        }
    }
}
