import Foundation
import Hummingbird
import IntentChannels

/// The inbox: the conversations people answer, each one's timeline, and what a person does in
/// one (reply, take it, resolve it, tag it, mark it read, leave a note). Conversations are
/// named by their customer's id (`{customer}`).
struct InboxRoutes {
    let channel: ChannelRuntime?
    let reader: JSONBodyReader
    /// Who a conversation may be given to.
    let agents: AgentDirectory

    /// The longest reply taken (it goes out as several WhatsApp messages past 4,096 characters).
    static let maxReplyLength = 16_384
    static let maxNoteLength = 4_096
    static let maxTagLength = 64
    static let maxTags = 50
    static let maxQueryLength = 200

    /// `group` is guarded by the console's role check.
    func register(on group: some RouterMethods<IntentRequestContext>) {
        group.get("/v1/conversations") { request, context in
            var query = try Self.listQuery(request, agent: Self.signature(context))
            guard let channel else { return try JSONResponse.make(InboxJSON.Page(enabled: false, conversations: [])) }
            // Read only with a channel: without one every cursor leads to the same empty page.
            query.after = try Self.cursor(request)
            var page = query
            page.limit = query.limit + 1
            let found = try await channel.conversations(page)
            let names = await shownNames()
            let now = Date()
            let shown = found.prefix(query.limit)
            let next = found.count > query.limit ? shown.last.map { ConversationQuery.Cursor(after: $0).token } : nil
            return try JSONResponse.make(
                InboxJSON.Page(
                    enabled: true, conversations: shown.map { InboxJSON.Summary($0, windows: channel.replyWindows, now: now, displayNames: names) },
                    nextCursor: next))
        }
        group.get("/v1/conversations/:customer") { _, context in
            let (channel, customer) = try target(context)
            guard let conversation = try await channel.conversation(customer: customer) else { throw Self.unknown(customer) }
            return try await detail(conversation, channel)
        }
        group.get("/v1/conversations/:customer/messages") { request, context in
            let limit = try Self.limit(request)
            var before: Date?
            if let text = request.uri.queryParameters.get("before") {
                guard let date = InboxJSON.time(String(text)) else {
                    throw APIError(
                        .badRequest, "invalid_before",
                        "'before' must be a time as ISO 8601, e.g. 2026-12-06T15:30:00Z (the `at` of the oldest message shown)")
                }
                before = date
            }
            let (channel, customer) = try target(context)
            let items = try await channel.timeline(customer: customer, before: before, limit: limit)
            let names = await shownNames()
            return try JSONResponse.make(InboxJSON.Timeline(messages: items.map { InboxJSON.Timeline.Message($0, displayNames: names) }))
        }
        group.post("/v1/conversations/:customer/messages") { request, context in
            let body = try await reader.decode(ReplyRequest.self, from: request)
            let text = try Self.text(body.text, field: "text", limit: Self.maxReplyLength)
            let (channel, customer) = try target(context)
            let agent = context.signature(naming: body.by?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty)
            let picked = body.channel?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
            switch await channel.reply(to: customer, text: text, agent: agent, channel: picked) {
            case .queued(let id):
                return try JSONResponse.make(["id": "out:\(id)", "status": "queued"], status: .accepted)
            case .unknownCustomer:
                throw Self.unknown(customer)
            case .windowClosed(let since):
                throw APIError(
                    .conflict, "window_closed",
                    "the customer's 24-hour window closed at \(ISO8601DateFormatter().string(from: since)); only a template message can reach them now"
                )
            case .noIdentity(let asked, let channels):
                throw APIError(
                    .unprocessableContent, "no_identity_on_channel",
                    "the contact has no identity on '\(asked)'; it writes on \(channels.joined(separator: ", "))")
            case .storeUnavailable:
                throw APIError.storeUnavailable
            }
        }
        group.post("/v1/conversations/:customer/assign") { request, context in
            let body = try await reader.decodeOptional(AssignRequest.self, from: request)
            guard (body?.agent?.unicodeScalars.count ?? 0) <= 64 else {
                throw APIError(.badRequest, "invalid_agent", "'agent' must be at most 64 characters")
            }
            let named = body?.agent?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            let (channel, customer) = try target(context)
            if !named.isEmpty { try await Self.assignable(named, in: agents) }
            let agent = named.isEmpty ? Self.signature(context) : named
            return try await respond(await channel.assign(customer, to: agent), customer, channel)
        }
        group.post("/v1/conversations/:customer/resolve") { _, context in
            let (channel, customer) = try target(context)
            return try await respond(await channel.resolve(customer), customer, channel)
        }
        group.post("/v1/conversations/:customer/read") { _, context in
            let (channel, customer) = try target(context)
            return try await respond(await channel.markRead(customer), customer, channel)
        }
        group.post("/v1/conversations/:customer/tags") { request, context in
            let body = try await reader.decode(TagsRequest.self, from: request)
            let added = try Self.tags(body.add ?? [], field: "add")
            let removed = try Self.tags(body.remove ?? [], field: "remove")
            guard !added.isEmpty || !removed.isEmpty else {
                throw APIError(.badRequest, "no_tags", "give 'add' or 'remove': lists of tags, e.g. {\"add\": [\"vip\"]}")
            }
            let (channel, customer) = try target(context)
            let changed = await channel.tag(customer, adding: added, removing: removed)
            if case .changed(let conversation) = changed, conversation.tags.count > Self.maxTags {
                _ = await channel.tag(customer, adding: [], removing: added)
                throw APIError(.badRequest, "too_many_tags", "a conversation has at most \(Self.maxTags) tags; remove some first")
            }
            return try await respond(changed, customer, channel)
        }
        group.post("/v1/conversations/:customer/notes") { request, context in
            let body = try await reader.decode(NoteRequest.self, from: request)
            let text = try Self.text(body.text, field: "text", limit: Self.maxNoteLength)
            let (channel, customer) = try target(context)
            let note: ConversationNote?
            do {
                note = try await channel.addNote(to: customer, text: text, agent: Self.signature(context))
            } catch {
                throw APIError.storeUnavailable
            }
            guard let note else { throw Self.unknown(customer) }
            return try JSONResponse.make(InboxJSON.Timeline.Message(note.timelineItem, displayNames: await shownNames()), status: .created)
        }
    }

    /// Refuses to give a conversation to someone who cannot answer it: a name no agent has
    /// (404 `unknown_agent`: a typo would leave the customer with nobody), or a viewer (422
    /// `viewer_not_assignable`: a viewer may read the conversation, never reply).
    static func assignable(_ name: String, in agents: AgentDirectory) async throws {
        let agent: Agent?
        do {
            agent = try await agents.agent(named: name)
        } catch {
            throw APIError.storeUnavailable
        }
        guard let agent else { throw APIError(.notFound, "unknown_agent", AgentError.unknownAgent(name).description) }
        guard agent.role != .viewer else {
            throw APIError(
                .unprocessableContent, "viewer_not_assignable",
                "'\(name)' is a viewer: viewers read conversations but cannot answer them; give it to an agent or an admin")
        }
    }

    /// The conversation with the customer's panel, its identities included.
    func detail(_ conversation: Conversation, _ channel: ChannelRuntime) async throws -> Response {
        let identities = (try? await channel.identities(contact: conversation.customer)) ?? []
        return try JSONResponse.make(
            InboxJSON.Detail(
                conversation, windows: channel.replyWindows, now: Date(), displayNames: await shownNames(), identities: identities))
    }

    /// The agents' display names; none when the store cannot say (the names still sign everything).
    private func shownNames() async -> [String: String] {
        (try? await agents.displayNames()) ?? [:]
    }

    /// Who is acting: the agent's name, or the configured token's.
    static func signature(_ context: IntentRequestContext) -> String { context.signature }

    private func target(_ context: IntentRequestContext) throws -> (ChannelRuntime, String) {
        guard let channel else { throw APIError(.notFound, "no_channel", "no chat channel is configured (see docs/whatsapp.md)") }
        return (channel, context.parameters.get("customer") ?? "")
    }

    static func unknown(_ customer: String) -> APIError {
        APIError(.notFound, "no_conversation", "no conversation with customer '\(customer)'")
    }

    func respond(_ change: ChannelRuntime.InboxChange, _ customer: String, _ channel: ChannelRuntime) async throws -> Response {
        switch change {
        case .changed(let conversation):
            return try await detail(conversation, channel)
        case .unknownCustomer: throw Self.unknown(customer)
        case .storeUnavailable: throw APIError.storeUnavailable
        }
    }

    static func limit(_ request: Request) throws -> Int {
        let raw = request.uri.queryParameters.get("limit")
        let limit = raw.map { Int($0) ?? -1 } ?? 50
        guard (1...500).contains(limit) else { throw APIError(.badRequest, "limit_out_of_range", "'limit' must be between 1 and 500") }
        return limit
    }

    static func listQuery(_ request: Request, agent: String) throws -> ConversationQuery {
        let parameters = request.uri.queryParameters
        var query = ConversationQuery(limit: try limit(request), now: Date())
        if let raw = parameters.get("status") {
            guard let status = ConversationQuery.Status(rawValue: String(raw)) else {
                let names = ConversationQuery.Status.allCases.map(\.rawValue).joined(separator: ", ")
                throw APIError(.badRequest, "invalid_status", "'status' must be one of \(names)")
            }
            query.status = status
        }
        query.agent = agent
        if let raw = parameters.get("q") {
            // Counted as the schema counts (Unicode scalars, before trimming): a word with
            // combining marks is one Character but several scalars.
            guard raw.unicodeScalars.count <= maxQueryLength else {
                throw APIError(.badRequest, "query_too_long", "'q' must be at most \(maxQueryLength) characters")
            }
            let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { query.text = text }
        }
        return query
    }

    /// The page to continue after; an empty `cursor` is the first page.
    static func cursor(_ request: Request) throws -> ConversationQuery.Cursor? {
        guard let token = request.uri.queryParameters.get("cursor"), !token.isEmpty else { return nil }
        guard let cursor = ConversationQuery.Cursor(token: String(token)) else {
            throw APIError(.badRequest, "invalid_cursor", "'cursor' must be a `next_cursor` this API returned")
        }
        return cursor
    }

    static func text(_ raw: String, field: String, limit: Int) throws -> String {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw APIError(.badRequest, "empty_message", "'\(field)' must not be empty") }
        guard raw.unicodeScalars.count <= limit else {
            throw APIError(.badRequest, "message_too_long", "'\(field)' must be at most \(limit) characters")
        }
        return text
    }

    static func tags(_ raw: [String], field: String) throws -> [String] {
        // Lengths as the schema counts them: Unicode scalars of the value sent.
        try raw.map { sent in
            let tag = sent.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !tag.isEmpty, sent.unicodeScalars.count <= maxTagLength else {
                throw APIError(.badRequest, "invalid_tag", "each tag in '\(field)' must be 1 to \(maxTagLength) characters")
            }
            return tag
        }
    }

    struct ReplyRequest: Decodable {
        var text: String
        /// Who wrote it, when signed in with a role token rather than as a named agent.
        var by: String?
        /// The channel to answer on, among the contact's; absent: where the customer wrote last.
        var channel: String?
    }

    struct AssignRequest: Decodable {
        /// Empty or absent: the person asking.
        var agent: String?
    }

    struct TagsRequest: Decodable {
        var add: [String]?
        var remove: [String]?
    }

    struct NoteRequest: Decodable {
        var text: String
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}

extension APIError {
    static let storeUnavailable = APIError(
        .serviceUnavailable, "store_unavailable", "the conversation store is unavailable; nothing was changed, try again")
}
