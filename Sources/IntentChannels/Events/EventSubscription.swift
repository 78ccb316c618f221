/// One console's place in an `EventHub`. Its stream ends when it is cancelled (or let go), when
/// the hub drops it for reading too slowly (after a last `reset`), or when the hub closes.
package final class EventSubscription: Sendable {
    private let hub: EventHub
    private let id: Int

    init(hub: EventHub, id: Int) {
        self.hub = hub
        self.id = id
    }

    /// Everything that arrived since the last call, in order, waiting until something does; nil
    /// once the stream is over. A cancelled task ends the subscription.
    package func next() async -> [EventHub.Item]? {
        await hub.take(id)
    }

    /// Ends the stream: a `next()` waiting returns nil.
    package func cancel() {
        hub.finish(id)
    }

    deinit {
        hub.finish(id)
    }
}
