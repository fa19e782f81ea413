import ArgumentParser

/// The exit codes of vidsearch, documented in `vidsearch --help` and the README.
enum ExitCodes {
    /// Everything worked.
    static let ok = ExitCode(0)
    /// Some inputs failed (files not indexed, a check over its tolerance); the rest was done.
    static let someFailed = ExitCode(1)
    /// Bad usage: unknown flags, a missing argument, an empty query. (ArgumentParser uses 64 for its
    /// own validation errors; vidsearch maps those to 2 in main.)
    static let usage = ExitCode(2)
    /// The index or the model could not be opened or used.
    static let indexOrModel = ExitCode(3)
}
