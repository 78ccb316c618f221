import Foundation
import Logging

/// One contact across channels: merged by a person (the inbox), or by the runtime when a flow
/// collected evidence (a phone number that is a WhatsApp contact's number, an e-mail address
/// another contact gave), never on a guess. A merge is recorded and undone the same way however
/// it was made.
extension ChannelRuntime {
    /// What became of a merge or an unmerge.
    package enum ContactChange: Sendable, Equatable {
        /// The conversation that resulted (the target's after a merge, the contact's own after an unmerge).
        case changed(Conversation)
        case refused(ContactMergeError)
        case storeUnavailable
    }

    /// The contact's identities, the one written from last first.
    package func identities(contact: String) async throws -> [ContactIdentity] {
        let store = self.store
        return try await store.identities(contact: contact)
    }

    /// Folds `contact` into `target`: its history, tags, attributes and flow run become the target's.
    package func merge(contact: String, into target: String) async -> ContactChange {
        let store = self.store
        let now = clock()
        do {
            let merged = try await store.merge(contact: contact, into: target, at: now)
            storeHealth.succeeded()
            publish(ConversationEvent(.conversation, conversation: contact, at: now))
            publish(ConversationEvent(.conversation, conversation: target, at: now))
            outboxWakeup.signal()
            return .changed(merged)
        } catch let refused as ContactMergeError {
            return .refused(refused)
        } catch {
            storeHealth.failed("merging contacts", error: error)
            return .storeUnavailable
        }
    }

    /// Undoes the contact's merge: it is its own contact again, with what moved and what came since through its identities.
    package func unmerge(contact: String) async -> ContactChange {
        let store = self.store
        let now = clock()
        do {
            let (restored, target) = try await store.unmerge(contact: contact, at: now)
            storeHealth.succeeded()
            publish(ConversationEvent(.conversation, conversation: target.customer, at: now))
            publish(ConversationEvent(.conversation, conversation: contact, at: now))
            outboxWakeup.signal()
            return .changed(restored)
        } catch let refused as ContactMergeError {
            return .refused(refused)
        } catch {
            storeHealth.failed("unmerging a contact", error: error)
            return .storeUnavailable
        }
    }

    /// Merges the contacts sharing evidence with `contact` (just collected by a flow): the one
    /// first seen earliest is the target. A failure is logged; the evidence stays stored.
    func mergeOnEvidence(_ contact: String) async {
        let store = self.store
        do {
            let others = try await store.contactsSharingEvidence(with: contact)
            guard !others.isEmpty else { return }
            var contacts: [Conversation] = []
            for id in [contact] + others {
                if let conversation = try await store.conversation(customer: id) { contacts.append(conversation) }
            }
            contacts.sort { ($0.firstInboundAt, $0.customer) < ($1.firstInboundAt, $1.customer) }
            guard let target = contacts.first else { return }
            for other in contacts.dropFirst() {
                switch await merge(contact: other.customer, into: target.customer) {
                case .changed:
                    logger.info(
                        "contacts: merged on evidence a flow collected", metadata: ["contact": "\(other.customer)", "into": "\(target.customer)"])
                case .refused(let reason):
                    logger.debug("contacts: no merge on evidence", metadata: ["reason": "\(reason)"])
                case .storeUnavailable: return
                }
            }
        } catch {
            logger.warning("contacts: evidence could not be checked", metadata: ["error": "\(error)"])
        }
    }
}
