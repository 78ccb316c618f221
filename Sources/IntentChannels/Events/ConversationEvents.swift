/// Where a channel's runtime announces what it changed in a conversation, once the change is
/// committed to the store: the consoles' live view (`EventHub`), and with replicas the other
/// processes too (`PostgresEventRelay`).
package protocol ConversationEvents: Sendable {
    /// Returns at once: the caller is on the path of a webhook's answer or of a send.
    func publish(_ event: ConversationEvent)
}
