/// Who a customer is on one channel: the channel's name and the id the channel knows them by
/// (WhatsApp's `wa_id`, Messenger's page-scoped id, Telegram's chat id, a widget visitor's id).
package struct ChannelIdentity: Sendable, Hashable {
    package static let whatsapp = "whatsapp"

    /// The channel's name (`ChatChannel.name`).
    package var channel: String
    /// The customer's id on that channel.
    package var id: String

    package init(channel: String, id: String) {
        self.channel = channel
        self.id = id
    }

    /// The conversation's key (`Conversation.customer`) for a customer first seen here: a
    /// WhatsApp number alone (the keys stored before other channels existed, and what a person
    /// types to find one), any other channel's id after its name (`telegram:123456`), so that ids
    /// of different channels never meet.
    package var key: String { channel == Self.whatsapp ? id : channel + ":" + id }
}
