import Hummingbird
import IntentChannels

/// The hub's items in the `text/event-stream` format (WHATWG HTML, "Server-sent events"): each
/// event with its `id:` (what `Last-Event-ID` resumes from), its type as `event:`, its JSON as
/// `data:` (one line: JSON escapes line breaks); a heartbeat as a comment.
enum ServerSentEvents {
    /// Written first, so that the response's head goes out at once: how long a browser's
    /// `EventSource` waits before it reconnects.
    static let opening = ByteBuffer(string: "retry: 3000\n\n")

    static func frame(_ items: [EventHub.Item]) -> ByteBuffer {
        var text = ""
        for item in items {
            switch item {
            case .event(let delivery):
                text += "id: \(delivery.id)\nevent: \(delivery.event.type.rawValue)\ndata: \(delivery.json)\n\n"
            case .reset(let id):
                text += "id: \(id)\nevent: reset\ndata: {}\n\n"
            case .heartbeat:
                text += ": heartbeat\n\n"
            }
        }
        return ByteBuffer(string: text)
    }
}
