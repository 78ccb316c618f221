import HTTPTypes
import Hummingbird
import IntentChannels
import IntentCore
import NIOCore
import ServiceLifecycle

/// `GET /v1/events`: what changes in conversations, live, as Server-Sent Events (`EventHub`);
/// `Last-Event-ID` resumes. The stream ends when the server shuts down, so that a graceful
/// shutdown does not wait for consoles to leave.
struct EventRoutes {
    let channel: ChannelRuntime?
    let hub: EventHub
    /// How long a stream that should end (the server stopping, the console dropped for reading
    /// too slowly) may take over its last write before its connection is closed under it: a
    /// client that stopped reading would otherwise hold that write, and the shutdown, forever.
    var closeAfter: TimeAmount = .seconds(5)

    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    static let headers: HTTPFields = [
        .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache",
        // nginx buffers responses unless told not to: events would arrive in bursts.
        HTTPField.Name("X-Accel-Buffering")!: "no",
    ]

    /// `group` is guarded by `RequireRole(.console)`.
    func register(on group: some RouterMethods<IntentRequestContext>) {
        group.get("/v1/events") { request, context in
            guard channel != nil else { throw APIError(.notFound, "no_channel", "the WhatsApp channel is not configured") }
            let resume = request.headers[Self.lastEventID]
            let connection = context.connection
            // HEAD gets the head alone: the body, and with it the subscription, is never made.
            return Response(
                status: .ok, headers: Self.headers,
                body: ResponseBody { writer in
                    try await stream(after: resume, to: &writer, connection: connection)
                })
        }
    }

    private func stream(after resume: String?, to writer: inout any ResponseBodyWriter, connection: any Channel) async throws {
        let closer = StreamCloser(connection: connection, after: closeAfter)
        let subscription = hub.subscribe(after: resume) { closer.streamShouldEnd() }
        defer {
            closer.streamEnded()
            subscription.cancel()
        }
        try await writer.write(ServerSentEvents.opening)
        try await withTaskCancellationOrGracefulShutdownHandler {
            while let items = await subscription.next() {
                try await writer.write(ServerSentEvents.frame(items))
            }
        } onCancelOrGracefulShutdown: {
            subscription.cancel()
            closer.streamShouldEnd()
        }
        try await writer.finish(nil)
    }
}

/// Closes a stream's connection when the stream should have ended and has not within a grace
/// period: its last write is stuck behind a client that does not read.
final class StreamCloser: Sendable {
    private struct State {
        var ended = false
        var scheduled: Scheduled<Void>?
    }

    private let connection: any Channel
    private let after: TimeAmount
    private let state = Locked(State())

    init(connection: any Channel, after: TimeAmount) {
        self.connection = connection
        self.after = after
    }

    func streamShouldEnd() {
        state.withLock { s in
            guard !s.ended, s.scheduled == nil else { return }
            s.scheduled = connection.eventLoop.scheduleTask(in: after) { [connection] in connection.close(promise: nil) }
        }
    }

    func streamEnded() {
        let scheduled = state.withLock { s in
            s.ended = true
            return s.scheduled
        }
        scheduled?.cancel()
    }
}
