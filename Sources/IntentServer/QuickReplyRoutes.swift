import Foundation
import Hummingbird
import IntentChannels

/// The inbox's canned answers: `GET /v1/quick-replies?q=` (search), `POST /v1/quick-replies`
/// (create or replace) and `DELETE /v1/quick-replies/{shortcut}`. Kept in the channel's state
/// store; `{{contact.name}}` and `{{contact.<key>}}` stay in the text until it is sent.
struct QuickReplyRoutes {
    let channel: ChannelRuntime?
    let reader: JSONBodyReader

    /// `group` is guarded by `RequireRole(.console)`.
    func register(on group: some RouterMethods<IntentRequestContext>) {
        group.get("/v1/quick-replies") { request, _ in
            let query = request.uri.queryParameters.get("q").map { String($0) }
            let channel = try Self.channel(channel)
            let replies: [QuickReply]
            do throws(ChannelRuntime.QuickReplyFailure) {
                replies = try await channel.quickReplies(matching: query)
            } catch {
                throw Self.apiError(error)
            }
            return try JSONResponse.make(QuickReplyList(quickReplies: replies.map(QuickReplyJSON.init)))
        }
        group.post("/v1/quick-replies") { request, context in
            let body = try await reader.decode(SaveRequest.self, from: request)
            let channel = try Self.channel(channel)
            guard let shortcut = QuickReply.shortcut(body.shortcut) else {
                throw APIError(
                    .badRequest, "invalid_shortcut",
                    "'shortcut' must be 1 to \(QuickReply.maxShortcutLength) letters, digits, '_' or '-' (a leading '/' is dropped)")
            }
            let text = body.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw APIError(.badRequest, "empty_message", "'text' must contain text, not only whitespace") }
            guard text.unicodeScalars.count <= QuickReply.maxTextLength else {
                throw APIError(.badRequest, "message_too_long", "'text' must be at most \(QuickReply.maxTextLength) characters")
            }
            let by = context.signature
            let saved: (reply: QuickReply, created: Bool)
            do throws(ChannelRuntime.QuickReplyFailure) {
                saved = try await channel.saveQuickReply(shortcut: shortcut, text: text, by: by)
            } catch {
                throw Self.apiError(error)
            }
            return try JSONResponse.make(QuickReplyJSON(saved.reply), status: saved.created ? .created : .ok)
        }
        group.delete("/v1/quick-replies/:shortcut") { _, context in
            let raw = context.parameters.get("shortcut") ?? ""
            let channel = try Self.channel(channel)
            var deleted = false
            if let shortcut = QuickReply.shortcut(raw.removingPercentEncoding ?? raw) {
                do throws(ChannelRuntime.QuickReplyFailure) {
                    deleted = try await channel.deleteQuickReply(shortcut: shortcut)
                } catch {
                    throw Self.apiError(error)
                }
            }
            guard deleted else { throw APIError(.notFound, "no_quick_reply", "no quick reply '\(raw)'; GET /v1/quick-replies lists them") }
            return Response(status: .noContent)
        }
    }

    static func channel(_ channel: ChannelRuntime?) throws -> ChannelRuntime {
        guard let channel else { throw APIError(.notFound, "no_channel", "the WhatsApp channel is not configured") }
        return channel
    }

    static func apiError(_ failure: ChannelRuntime.QuickReplyFailure) -> APIError {
        switch failure {
        case .unsupported:
            APIError(.serviceUnavailable, "no_state_store", "the state store in use keeps no quick replies")
        case .storeUnavailable:
            APIError(.serviceUnavailable, "store_unavailable", "the conversation store is unavailable; nothing was changed, try again")
        }
    }

    struct SaveRequest: Decodable {
        var shortcut: String
        var text: String
    }
}

struct QuickReplyList: Encodable {
    var quickReplies: [QuickReplyJSON]

    enum CodingKeys: String, CodingKey { case quickReplies = "quick_replies" }
}

struct QuickReplyJSON: Encodable {
    var shortcut: String
    var text: String
    var updatedBy: String
    var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case shortcut, text
        case updatedBy = "updated_by"
        case updatedAt = "updated_at"
    }

    init(_ reply: QuickReply) {
        shortcut = reply.shortcut
        text = reply.text
        updatedBy = reply.updatedBy
        updatedAt = ISO8601DateFormatter().string(from: reply.updatedAt)
    }
}
