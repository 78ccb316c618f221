import Foundation
import Glibc
import Hummingbird
import HummingbirdTesting
import IntentChannels
import IntentCore
import IntentSQLite
import IntentServer
import IntentTestSupport
import Logging
import Testing

/// `GET /v1/events` with a console that stops reading: the hub drops it, and its stream, stuck
/// in a write the client never takes, is ended by closing the connection under it.
@Suite struct EventRoutesTests {
    /// A channel that never receives nor sends: the route needs one to be on.
    struct QuietChannel: ChatChannel {
        var name: String { "quiet" }
        var maxWebhookBytes: Int { 1_024 }
        var maxTextLength: Int { 1_024 }
        var messagesPerSecond: Double { 1 }
        var replyWindow: TimeInterval? { nil }
        func read(webhook body: [UInt8], headers: [String: String], receivedAt: Date) -> WebhookReading { .malformed("a quiet channel") }
        func send(_ item: OutboxItem) async -> SendOutcome { .failed("a quiet channel") }
    }

    /// A client with a tiny receive window that sends its request and never reads.
    final class StuckConsole: Sendable {
        let socket: Int32

        init(port: Int, token: String) throws {
            socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var size: Int32 = 4_096
            setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            try #require(connected == 0)
            let request = Array("GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n\r\n".utf8)
            try #require(request.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == request.count)
        }

        func close() { Glibc.close(socket) }
    }

    @Test func aConsoleThatStopsReadingIsCutOffInsteadOfHoldingItsStream() async throws {
        var settings = IntentServerApp.Settings()
        settings.consoleToken = "console-token"
        let app = IntentServerApp(settings: settings, logger: Logger(label: "test")) { throw CancellationError() }
        let folder = try TemporaryDirectory("event-routes")
        let runtime = ChannelRuntime(
            channel: QuietChannel(), settings: .init(), store: try SQLiteStateStore(path: folder.file("state.sqlite")),
            policy: ConversationPolicy(automation: .none, fallbackReply: "-"), logger: Logger(label: "test"), events: app.events,
            decide: { _, _, _, _ in .unanswered })
        try await app.application(channel: runtime).test(.live) { client in
            let stuck = try StuckConsole(port: try #require(client.port), token: "console-token")
            defer { stuck.close() }
            try await eventually("the console subscribed") { app.events.subscriberCount == 1 }
            // Events until the socket's buffers are full and the console is 256 behind: dropped.
            var published = 0
            while app.events.droppedCount == 0, published < 1_000_000 {
                for _ in 0..<100 {
                    runtime.publish(
                        ConversationEvent(.status, conversation: "8613900000001", message: "out:\(published)", status: "read", at: Date()))
                    published += 1
                }
                try await Task.sleep(for: .milliseconds(1))
            }
            #expect(app.events.droppedCount == 1)
            // Its last write cannot finish: 5 s later the connection is closed under it, and the stream's task ends.
            try await eventually("the stuck stream ended", limit: .seconds(30)) { app.events.subscriberCount == 0 }
        }
    }
}
