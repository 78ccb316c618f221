import IntentCore
import Logging

extension ChannelRuntime {
    /// Why a quick reply could not be read or written.
    package enum QuickReplyFailure: Error, Sendable, Equatable {
        /// The state store in use keeps no quick replies (both of the service's stores do).
        case unsupported
        /// The store failed, or its file is gone: nothing was changed.
        case storeUnavailable
    }

    /// The quick replies whose shortcut or text holds `query`, by shortcut.
    package func quickReplies(matching query: String?) async throws(QuickReplyFailure) -> [QuickReply] {
        let store = try quickReplyStore()
        do {
            return try await store.quickReplies(matching: query)
        } catch {
            logger.warning("\(channel.name): reading the quick replies failed", metadata: ["error": "\(error)"])
            throw .storeUnavailable
        }
    }

    /// Stores a quick reply (`shortcut` as `QuickReply.shortcut` gives it), replacing the one with
    /// its shortcut, signed `by` now; `created` when there was none.
    package func saveQuickReply(shortcut: String, text: String, by: String) async throws(QuickReplyFailure) -> (reply: QuickReply, created: Bool) {
        let store = try quickReplyStore()
        if storeHealth.refusesWork { throw .storeUnavailable }
        let reply = QuickReply(shortcut: shortcut, text: text, updatedBy: by, updatedAt: clock())
        do {
            let created = try await store.saveQuickReply(reply)
            storeHealth.succeeded()
            return (reply, created)
        } catch {
            storeHealth.failed("saving a quick reply", error: error)
            throw .storeUnavailable
        }
    }

    /// Deletes a quick reply; false when there was none.
    package func deleteQuickReply(shortcut: String) async throws(QuickReplyFailure) -> Bool {
        let store = try quickReplyStore()
        if storeHealth.refusesWork { throw .storeUnavailable }
        do {
            let deleted = try await store.deleteQuickReply(shortcut: shortcut)
            storeHealth.succeeded()
            return deleted
        } catch {
            storeHealth.failed("deleting a quick reply", error: error)
            throw .storeUnavailable
        }
    }

    private func quickReplyStore() throws(QuickReplyFailure) -> any QuickReplyStore {
        guard let store = store as? any QuickReplyStore else { throw .unsupported }
        return store
    }
}
