import CommandSupport
import Dispatch
import Foundation
import Ingest
import VideoIndex

/// Files indexed into a new index through the product's path (IndexRun over the ingest
/// pipeline, then the caches written), timed: what the quality and speech benchmarks search.
struct TimedIndexRun {
    let store: IndexStore
    let results: [IndexRun.FileResult]
    /// Wall seconds of the whole run, the caches' save included.
    let seconds: Double

    init(files: [String], model loaded: LoadedModel, at directory: URL) throws {
        store = try IndexStore(writingAt: directory, model: loaded.identity)
        let start = DispatchTime.now().uptimeNanoseconds
        results = try IndexRun(store: store, pipeline: try IngestPipeline(model: loaded.model, preprocessor: try loaded.preprocessor()))
            .run(files: files) { _ in }
        try IndexCaches.save(store)
        seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
