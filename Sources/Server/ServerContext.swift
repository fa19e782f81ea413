import Hummingbird
import NIOCore

/// A request's context: Hummingbird's own, and the connection the request came on, so that long
/// work (an example being encoded) stops once its client has gone.
public struct ServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    private let channel: any Channel
    /// In-process tests drive the router over a channel that was never open.
    private let openedActive: Bool

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
        openedActive = source.channel.isActive
    }

    /// Whether the client's connection is still open (NIO keeps this current across threads).
    var clientConnected: Bool { !openedActive || channel.isActive }
}
