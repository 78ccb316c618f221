import Foundation
import IntentCore

extension ChannelRuntime {
    /// What became of a person's template message.
    package enum TemplateSend: Sendable, Equatable {
        /// Queued in the outbox.
        case queued(Int64)
        /// The channel sends no templates, or is not set up for them: what to set.
        case notConfigured(String)
        /// No list of approved templates could be fetched: the platform's error.
        case unavailable(String)
        /// No approved template of that name in that language: the languages it has (none: no such name).
        case unknownTemplate(languages: [String])
        /// The template's body takes `expected` values.
        case wrongParameterCount(expected: Int)
        case unknownCustomer
        case storeUnavailable
    }

    /// A person's template message to a customer (the console's inbox), checked against the
    /// approved templates and queued in the same outbox as every reply, in order and exactly
    /// once. Unlike a text reply it is taken whether or not the customer's 24-hour window is open:
    /// a template is what reaches a customer after it closed. Like a reply, it (re)starts the
    /// hand-over's mute: the customer's answer is the person's to take.
    package func sendTemplate(name: String, language: String, parameters: [String], to customer: String, agent: String) async -> TemplateSend {
        guard let templates, let templateChannel = channels.first(where: { $0 is any TemplateMessaging })?.name else {
            return .notConfigured("no configured channel sends templates")
        }
        let approved: [MessageTemplate]
        switch await templates.listing() {
        case .current(let list, _), .stale(let list, _, _): approved = list
        case .unavailable(let reason): return .unavailable(reason)
        case .notConfigured(let what): return .notConfigured(what)
        }
        guard let template = approved.first(where: { $0.name == name && $0.language == language }) else {
            return .unknownTemplate(languages: approved.filter { $0.name == name }.map(\.language).sorted())
        }
        guard parameters.count == template.parameters else { return .wrongParameterCount(expected: template.parameters) }
        if storeHealth.refusesWork { return .storeUnavailable }
        let draft = template.message(parameters).draft(origin: .agent(agent))
        let now = clock()
        let muteMinutes = policy.automation.handover.muteMinutes
        let queued: [Int64]?
        let elsewhere = Locked<String?>(nil)
        do {
            queued = try await advance(customer: customer, at: now, finishing: nil) { conversation in
                // A template is the platform's: it reaches the customer only where they wrote from.
                guard conversation.identity.channel == templateChannel else {
                    elsewhere.withLock { $0 = conversation.identity.channel }
                    return nil
                }
                var conversation = conversation
                conversation.answered(by: agent, until: now.addingTimeInterval(Double(muteMinutes) * 60), now: now)
                return ConversationPlan(conversation: conversation, replies: [draft], triggers: [])
            }
            storeHealth.succeeded()
        } catch {
            storeHealth.failed("queuing a person's template message", error: error)
            return .storeUnavailable
        }
        if let channel = elsewhere.current {
            return .notConfigured(
                "templates go out on \(templateChannel); this customer last wrote on \(channel), where a person's reply needs no template")
        }
        guard let id = queued?.first else { return .unknownCustomer }
        outboxWakeup.signal()
        publishQueued(customer: customer, items: queued, agent: agent, at: now)
        return .queued(id)
    }
}
