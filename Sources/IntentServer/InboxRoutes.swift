import Foundation
import Hummingbird
import IntentChannels

/// A conversation's timeline and a person's reply, for the console's inbox:
/// `GET /v1/conversations/{customer}/messages` and `POST /v1/conversations/{customer}/messages`.
struct InboxRoutes {
    let channel: ChannelRuntime?
    let reader: JSONBodyReader

    /// The longest reply taken (it goes out as several WhatsApp messages past 4,096 characters).
    static let maxReplyLength = 16_384

    /// `group` is guarded by `RequireRole(.console)`.
    func register(on group: some RouterMethods<IntentRequestContext>) {
        group.get("/v1/conversations/:customer/messages") { request, context in
            let customer = context.parameters.get("customer") ?? ""
            let raw = request.uri.queryParameters.get("limit")
            let limit = raw.map { Int($0) ?? -1 } ?? 50
            guard (1...500).contains(limit) else {
                throw APIError(.badRequest, "limit_out_of_range", "'limit' must be between 1 and 500")
            }
            var before: Date?
            if let text = request.uri.queryParameters.get("before") {
                guard let date = Timeline.time(String(text)) else {
                    throw APIError(
                        .badRequest, "invalid_before",
                        "'before' must be a time as ISO 8601, e.g. 2026-12-06T15:30:00Z (the `at` of the oldest message shown)")
                }
                before = date
            }
            guard let channel else { throw APIError(.notFound, "no_channel", "the WhatsApp channel is not configured") }
            let items = try await channel.timeline(customer: customer, before: before, limit: limit)
            return try JSONResponse.make(Timeline(messages: items.map(Timeline.Message.init)))
        }
        group.post("/v1/conversations/:customer/messages") { request, context in
            let customer = context.parameters.get("customer") ?? ""
            let body = try await reader.decode(ReplyRequest.self, from: request)
            let text = body.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw APIError(.badRequest, "empty_message", "'text' must not be empty") }
            guard text.unicodeScalars.count <= Self.maxReplyLength else {
                throw APIError(.badRequest, "message_too_long", "'text' must be at most \(Self.maxReplyLength) characters")
            }
            guard let channel else { throw APIError(.notFound, "no_channel", "the WhatsApp channel is not configured") }
            let agent = body.by ?? context.role?.signature ?? "console"
            switch await channel.reply(to: customer, text: text, agent: agent) {
            case .queued(let id):
                return try JSONResponse.make(["id": "out:\(id)", "status": "queued"], status: .accepted)
            case .unknownCustomer:
                throw APIError(.notFound, "no_conversation", "no conversation with customer '\(customer)'")
            case .windowClosed(let since):
                throw APIError(
                    .conflict, "window_closed",
                    "the customer's 24-hour window closed at \(ISO8601DateFormatter().string(from: since)); only a template message can reach them now"
                )
            case .storeUnavailable:
                throw APIError(.serviceUnavailable, "store_unavailable", "the conversation store is unavailable; nothing was queued, try again")
            }
        }
    }

    struct ReplyRequest: Decodable {
        var text: String
        var by: String?
    }
}

struct Timeline: Encodable {
    struct Message: Encodable {
        var id: String
        var direction: String
        var kind: String
        var type: String
        var text: String?
        var choice: String?
        var options: [String]?
        var agent: String?
        var status: String?
        var error: String?
        var at: String

        init(_ item: TimelineItem) {
            id = item.id
            direction = item.direction.rawValue
            kind = item.kind
            type = item.type
            text = item.text
            choice = item.choice
            options = item.options.isEmpty ? nil : item.options.map(\.title)
            agent = item.agent
            status = item.status
            error = item.error
            at = Timeline.format(item.at)
        }
    }

    var messages: [Message]

    /// With milliseconds, so that the oldest `at` shown is an exact cursor for the next page.
    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func time(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }
}
