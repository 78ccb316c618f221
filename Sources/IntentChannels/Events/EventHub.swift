import IntentCore
import ServiceLifecycle

/// Fans conversation events out to the consoles connected to this process (`GET /v1/events`),
/// each with a bounded buffer, and keeps the last `ringSize` events for consoles that reconnect.
///
/// Ids are `<epoch>-<sequence>`: the epoch is this process's (random at each start), the
/// sequence counts its events. A console resuming with `Last-Event-ID` gets what it missed when
/// the id is this process's and still in the ring; otherwise (another replica's id, a restart, an
/// id too old, events the replicas' relay lost) its stream starts with `reset`: it refetches what
/// it shows.
///
/// A console that does not read fast enough (`bufferSize` items waiting) is dropped: its stream
/// ends with `reset` instead of this process holding ever more for it. Every `heartbeatInterval`
/// a console with nothing to read gets a heartbeat, which keeps proxies from closing the stream
/// and lets the server notice a console that went away.
package final class EventHub: ConversationEvents, Service {
    /// One event as consoles get it: its id, and its JSON encoded once for all of them.
    package struct Delivery: Sendable, Equatable {
        package var id: String
        package var event: ConversationEvent
        package var json: String
    }

    /// What a subscriber reads.
    package enum Item: Sendable, Equatable {
        case event(Delivery)
        /// Events were missed: refetch what is shown, then go on from `id`.
        case reset(id: String)
        /// Nothing happened for a while.
        case heartbeat
    }

    /// This process's part of every id.
    package let epoch: String
    package let ringSize: Int
    package let bufferSize: Int
    package let heartbeatInterval: Duration
    private let state: Locked<State>

    package init(ringSize: Int = 1_000, bufferSize: Int = 256, heartbeatInterval: Duration = .seconds(15), epoch: String? = nil) {
        self.ringSize = max(1, ringSize)
        self.bufferSize = max(1, bufferSize)
        self.heartbeatInterval = heartbeatInterval
        self.epoch = epoch ?? String(UInt64.random(in: 1 ... .max), radix: 36)
        state = Locked(State(ring: Array(repeating: nil, count: max(1, ringSize))))
    }

    private typealias Waiter = CheckedContinuation<[Item]?, Never>

    private struct Subscriber {
        var pending: [Item] = []
        /// How many items may wait before the subscriber is dropped: `bufferSize`, more while a replay is read.
        var limit: Int
        var waiter: Waiter?
        /// Dropped: `pending` is the last of it.
        var finished = false
        /// Called when the hub ends the stream (dropped, or closed).
        var onEnd: (@Sendable () -> Void)?
        /// The one conversation whose events it gets (a web chat visitor's); nil: every one.
        var conversation: String?
    }

    private struct State {
        var sequence: UInt64 = 0
        /// Event number `n` is at `n % ring.count` while it is one of the last `ring.count`.
        var ring: [Delivery?]
        /// No event before this one is replayed (set past the last event by `reset`).
        var oldest: UInt64 = 1
        var subscribers: [Int: Subscriber] = [:]
        var lastSubscriber = 0
        var closed = false
        var dropped = 0
    }

    /// Consoles connected now (and web chat visitors' streams).
    package var subscriberCount: Int { state.withLock { $0.subscribers.count } }
    /// Of those, the streams of one conversation each (web chat visitors').
    package var conversationSubscriberCount: Int { state.withLock { $0.subscribers.values.count { $0.conversation != nil } } }
    /// Consoles dropped so far for reading too slowly.
    package var droppedCount: Int { state.withLock { $0.dropped } }

    // MARK: Publishing

    package func publish(_ event: ConversationEvent) {
        let json = event.json
        let (ready, ended) = state.withLock { s -> ([(Waiter, [Item])], [@Sendable () -> Void]) in
            s.sequence += 1
            let delivery = Delivery(id: id(s.sequence), event: event, json: json)
            s.ring[slot(s.sequence)] = delivery
            var ended: [@Sendable () -> Void] = []
            let ready = offer(.event(delivery), to: &s, about: event.conversation) { subscriber in
                if subscriber.pending.count < subscriber.limit {
                    subscriber.pending.append(.event(delivery))
                } else {
                    subscriber.pending = [.reset(id: delivery.id)]
                    subscriber.finished = true
                    ended.append(subscriber.onEnd ?? {})
                }
            }
            s.dropped += ended.count
            return (ready, ended)
        }
        for (waiter, items) in ready { waiter.resume(returning: items) }
        for end in ended { end() }
    }

    /// Events were lost (the replicas' relay was down): every console refetches, and no id from
    /// before now is resumed.
    package func reset() {
        let ready = state.withLock { s -> [(Waiter, [Item])] in
            s.oldest = s.sequence + 1
            let reset = Item.reset(id: id(s.sequence))
            return offer(reset, to: &s) { subscriber in
                subscriber.pending = [reset]
                subscriber.limit = bufferSize
            }
        }
        for (waiter, items) in ready { waiter.resume(returning: items) }
    }

    /// A heartbeat to every console with nothing else to read.
    package func heartbeat() {
        let ready = state.withLock { s in
            offer(.heartbeat, to: &s) { subscriber in
                if subscriber.pending.isEmpty { subscriber.pending = [.heartbeat] }
            }
        }
        for (waiter, items) in ready { waiter.resume(returning: items) }
    }

    /// Hands `item` to the subscribers waiting (returned, to be resumed outside the lock); the
    /// others get `queue` applied to them. An event `about` a conversation skips the subscribers
    /// of other conversations.
    private func offer(_ item: Item, to s: inout State, about conversation: String? = nil, queue: (inout Subscriber) -> Void) -> [(Waiter, [Item])] {
        var ready: [(Waiter, [Item])] = []
        for key in Array(s.subscribers.keys) {
            if let conversation, let only = s.subscribers[key]?.conversation, only != conversation { continue }
            guard var subscriber = s.subscribers[key], !subscriber.finished else { continue }
            if let waiter = subscriber.waiter {
                subscriber.waiter = nil
                ready.append((waiter, [item]))
            } else {
                queue(&subscriber)
            }
            s.subscribers[key] = subscriber
        }
        return ready
    }

    // MARK: Subscribing

    /// A console's stream: from now on, or after `lastEventID` (see the type's description);
    /// with `conversation`, that conversation's events only (and the heartbeats and resets).
    /// `onEnd` is called when the hub ends it (dropped for reading too slowly, or closed), not
    /// when the subscription is cancelled.
    package func subscribe(
        after lastEventID: String? = nil, conversation: String? = nil, onEnd: (@Sendable () -> Void)? = nil
    ) -> EventSubscription {
        let id = state.withLock { s -> Int in
            s.lastSubscriber += 1
            var subscriber = Subscriber(limit: bufferSize, onEnd: onEnd, conversation: conversation)
            if s.closed {
                subscriber.finished = true
            } else if let lastEventID {
                if let missed = replay(after: lastEventID, in: s)?.filter({ conversation == nil || $0.event.conversation == conversation }) {
                    subscriber.pending = missed.map(Item.event)
                    subscriber.limit = bufferSize + missed.count
                } else {
                    subscriber.pending = [.reset(id: self.id(s.sequence))]
                }
            }
            s.subscribers[s.lastSubscriber] = subscriber
            return s.lastSubscriber
        }
        return EventSubscription(hub: self, id: id)
    }

    /// The events after `lastEventID`, or nil when they are not all here.
    private func replay(after lastEventID: String, in s: State) -> [Delivery]? {
        guard let dash = lastEventID.lastIndex(of: "-"), lastEventID[..<dash] == epoch,
            let seen = UInt64(lastEventID[lastEventID.index(after: dash)...]), seen <= s.sequence
        else { return nil }
        let kept = s.sequence >= UInt64(ringSize) ? s.sequence - UInt64(ringSize) + 1 : 1
        guard seen + 1 >= max(s.oldest, kept) else { return nil }
        return stride(from: seen + 1, through: s.sequence, by: 1).compactMap { s.ring[slot($0)] }
    }

    /// What arrived for subscriber `id` since its last call, waiting until something does; nil
    /// when its stream is over.
    func take(_ id: Int) async -> [Item]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: Waiter) in
                let ready = state.withLock { s -> [Item]?? in
                    guard var subscriber = s.subscribers[id] else { return .some(nil) }
                    if !subscriber.pending.isEmpty {
                        let items = subscriber.pending
                        if subscriber.finished {
                            s.subscribers[id] = nil
                        } else {
                            subscriber.pending = []
                            subscriber.limit = bufferSize
                            s.subscribers[id] = subscriber
                        }
                        return .some(items)
                    }
                    if subscriber.finished || Task.isCancelled {
                        s.subscribers[id] = nil
                        return .some(nil)
                    }
                    subscriber.waiter = waiter
                    s.subscribers[id] = subscriber
                    return .none
                }
                if case .some(let items) = ready { waiter.resume(returning: items) }
            }
        } onCancel: {
            finish(id)
        }
    }

    /// Ends subscriber `id`'s stream.
    func finish(_ id: Int) {
        let waiter = state.withLock { s in s.subscribers.removeValue(forKey: id)?.waiter }
        waiter?.resume(returning: nil)
    }

    // MARK: Running

    /// Heartbeats until the service group shuts down; then every stream ends, and new ones end at once.
    package func run() async {
        await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: heartbeatInterval)
                if !Task.isCancelled { heartbeat() }
            }
        }
        close()
    }

    /// Ends every stream; a later subscription ends at once.
    package func close() {
        let ended = state.withLock { s -> [Subscriber] in
            s.closed = true
            defer { s.subscribers = [:] }
            return Array(s.subscribers.values)
        }
        for subscriber in ended {
            subscriber.waiter?.resume(returning: nil)
            subscriber.onEnd?()
        }
    }

    private func id(_ sequence: UInt64) -> String { "\(epoch)-\(sequence)" }

    private func slot(_ sequence: UInt64) -> Int { Int(sequence % UInt64(ringSize)) }
}
