package import Foundation

/// How a Messenger or Instagram channel connects to Meta: both speak the Messenger Platform, so
/// one set of settings serves either, told apart by `platform`. The secrets are never logged or
/// echoed.
package struct MessengerSettings: Sendable {
    /// Which of Meta's messaging products: the channel's name, its webhook's `object`, its limits
    /// and the names of its settings.
    package enum Platform: String, Sendable, CaseIterable {
        case messenger
        case instagram

        /// The channel's name (`ChatChannel.name`, `ChannelIdentity.channel`).
        package var name: String { rawValue }

        /// The webhook's `object`: `page` for a Facebook Page, `instagram` for an Instagram
        /// professional account.
        var webhookObject: String { self == .messenger ? "page" : "instagram" }

        /// The longest text message the Send API takes (Messenger 2,000 characters, Instagram 1,000).
        package var maxTextLength: Int { self == .messenger ? 2_000 : 1_000 }

        /// In words, for operators: "Messenger", "Instagram".
        package var title: String { self == .messenger ? "Messenger" : "Instagram" }

        /// The settings as an operator writes them (`messenger_page_access_token`...).
        package var verifyTokenSetting: String { rawValue + "_verify_token" }
        package var appSecretSetting: String { rawValue + "_app_secret" }
        package var accountSetting: String { self == .messenger ? "messenger_page_id" : "instagram_account_id" }
        package var accessTokenSetting: String { self == .messenger ? "messenger_page_access_token" : "instagram_access_token" }
        package var graphURLSetting: String { rawValue + "_graph_url" }
    }

    package var platform: Platform
    /// What Meta's subscription handshake must present (`hub.verify_token`).
    package var verifyToken: String
    /// Signs every webhook (`X-Hub-Signature-256`).
    package var appSecret: String
    /// The Facebook Page's id (Messenger) or the Instagram professional account's id: sends go
    /// out from it, and webhook entries for any other page or account are ignored.
    package var accountID: String
    /// Authorises sends: the Page access token, or the Instagram account's.
    package var accessToken: String
    package var graphURL: String
    /// The most messages sent a second. Meta allows a page or account 300 Send API calls a
    /// second for text; 40 leaves room for what else uses the same page's quota (Meta's own
    /// inbox, other apps, the read receipts this channel sends with each answer) and keeps a
    /// burst well inside the daily budget of 200 calls per engaged customer.
    package var messagesPerSecond: Double
    /// Messages, conversations and delivery statuses older than this are deleted.
    package var retentionDays: Int
    /// The first retry of a failed send waits this long; each next one twice as long, up to 10 minutes.
    package var firstRetryDelay: TimeInterval = 2

    package static let defaultGraphURL = "https://graph.facebook.com/v21.0"
    package static let defaultMessagesPerSecond: Double = 40

    package init(
        platform: Platform, verifyToken: String, appSecret: String, accountID: String, accessToken: String,
        graphURL: String = Self.defaultGraphURL, messagesPerSecond: Double = Self.defaultMessagesPerSecond, retentionDays: Int = 90
    ) {
        self.platform = platform
        self.verifyToken = verifyToken
        self.appSecret = appSecret
        self.accountID = accountID
        self.accessToken = accessToken
        self.graphURL = graphURL
        self.messagesPerSecond = messagesPerSecond
        self.retentionDays = retentionDays
    }
}
