import Foundation
import Hummingbird
import IntentChannels
import IntentCore
import NIOCore
import ServiceLifecycle

/// One visitor's event stream: each message sent to them as an SSE `message` event whose id is
/// its timeline id (`out:<item>`: one customer's items are sent in increasing order, so the id
/// is where a reconnect resumes). The hub says when the visitor's conversation changed (on any
/// replica, through the relay); the stream then rereads the newest messages and writes those
/// past the last one written. A heartbeat comment keeps proxies from closing an idle stream.
struct WebChatStream {
    let runtime: ChannelRuntime
    let hub: EventHub
    let customer: String
    /// The last item the visitor has.
    var after: Int64
    let closeAfter: TimeAmount

    func run(to writer: inout any ResponseBodyWriter, connection: any Channel) async throws {
        let closer = StreamCloser(connection: connection, after: closeAfter)
        // Subscribed before the catch-up read: nothing sent in between is missed. Only this
        // visitor's events wake the stream: 500 streams do not each read every conversation's.
        let subscription = hub.subscribe(conversation: customer) { closer.streamShouldEnd() }
        defer {
            closer.streamEnded()
            subscription.cancel()
        }
        var last = after
        try await writer.write(ServerSentEvents.opening)
        try await catchUp(&last, writer: &writer)
        try await withTaskCancellationOrGracefulShutdownHandler {
            while let items = await subscription.next() {
                var changed = false
                var idle = false
                for item in items {
                    switch item {
                    case .event: changed = true
                    case .reset: changed = true
                    case .heartbeat: idle = true
                    }
                }
                if changed {
                    try await catchUp(&last, writer: &writer)
                } else if idle {
                    try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                }
            }
        } onCancelOrGracefulShutdown: {
            subscription.cancel()
            closer.streamShouldEnd()
        }
        try await writer.finish(nil)
    }

    /// Writes the messages sent after `last` and moves it on. A store that fails now is asked
    /// again at the next change (or the widget's next poll).
    private func catchUp(_ last: inout Int64, writer: inout any ResponseBodyWriter) async throws {
        guard let items = try? await runtime.timeline(customer: customer, before: nil, limit: 50) else { return }
        var text = ""
        for item in items.reversed() {
            guard let number = WebChatJSON.itemNumber(item.id), number > last, let message = WebChatJSON.Message(item) else { continue }
            let json = String(decoding: (try? JSONResponse.encoder.encode(message)) ?? Data("{}".utf8), as: UTF8.self)
            text += "id: \(item.id)\nevent: message\ndata: \(json)\n\n"
            last = number
        }
        if !text.isEmpty { try await writer.write(ByteBuffer(string: text)) }
    }
}
