import Foundation
import Hummingbird
import IntentChannels

/// Contacts across channels: a person merges one contact into another (its conversation,
/// history, tags, attributes and flow run move), and undoes it. Both answer the resulting
/// conversation as `GET /v1/conversations/{id}` does.
struct ContactRoutes {
    let inbox: InboxRoutes

    /// `group` is guarded by the console's role check (agents write).
    func register(on group: some RouterMethods<IntentRequestContext>) {
        group.post("/v1/contacts/:contact/merge") { request, context in
            let body = try await inbox.reader.decode(MergeRequest.self, from: request)
            let into = body.into.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !into.isEmpty, into.count <= 256 else {
                throw APIError(.badRequest, "invalid_into", "'into' must be the id of the contact to merge into (1 to 256 characters)")
            }
            let (channel, contact) = try target(context)
            return try await respond(await channel.merge(contact: contact, into: into), channel)
        }
        group.post("/v1/contacts/:contact/unmerge") { _, context in
            let (channel, contact) = try target(context)
            return try await respond(await channel.unmerge(contact: contact), channel)
        }
    }

    private func target(_ context: IntentRequestContext) throws -> (ChannelRuntime, String) {
        guard let channel = inbox.channel else {
            throw APIError(.notFound, "no_channel", "no chat channel is configured (see docs/whatsapp.md)")
        }
        return (channel, context.parameters.get("contact") ?? "")
    }

    private func respond(_ change: ChannelRuntime.ContactChange, _ channel: ChannelRuntime) async throws -> Response {
        switch change {
        case .changed(let conversation): return try await inbox.detail(conversation, channel)
        case .refused(let reason): throw Self.error(reason)
        case .storeUnavailable: throw APIError.storeUnavailable
        }
    }

    static func error(_ reason: ContactMergeError) -> APIError {
        switch reason {
        case .sameContact: APIError(.unprocessableContent, "same_contact", reason.description)
        case .unknownContact: APIError(.notFound, "no_contact", reason.description)
        case .mergedAway: APIError(.conflict, "merged_away", reason.description)
        case .notMerged: APIError(.conflict, "not_merged", reason.description)
        case .targetMergedAway: APIError(.conflict, "target_merged_away", reason.description)
        }
    }

    struct MergeRequest: Decodable {
        /// The contact that stays.
        var into: String
    }
}
