package import Foundation

/// How the WhatsApp channel connects to Meta. The secrets are never logged or echoed.
package struct WhatsAppSettings: Sendable {
    /// What Meta's subscription handshake must present (`hub.verify_token`).
    package var verifyToken: String
    /// Signs every webhook (`X-Hub-Signature-256`).
    package var appSecret: String
    /// Authorises sends to the Graph API.
    package var accessToken: String
    /// The business number to answer for; nil answers for every number of the app's webhooks.
    package var phoneNumberID: String?
    /// The WhatsApp Business Account whose approved templates a person may send; nil: none.
    package var businessAccountID: String?
    package var graphURL: String
    /// The most messages sent a second (Meta's default throughput per number is 80).
    package var messagesPerSecond: Double
    /// Messages, conversations and delivery statuses older than this are deleted.
    package var retentionDays: Int
    /// The first retry of a failed send waits this long; each next one twice as long, up to 10 minutes.
    package var firstRetryDelay: TimeInterval = 2

    package static let defaultGraphURL = "https://graph.facebook.com/v21.0"

    package init(
        verifyToken: String, appSecret: String, accessToken: String, phoneNumberID: String? = nil, businessAccountID: String? = nil,
        graphURL: String = Self.defaultGraphURL, messagesPerSecond: Double = 80, retentionDays: Int = 90
    ) {
        self.businessAccountID = businessAccountID
        self.verifyToken = verifyToken
        self.appSecret = appSecret
        self.accessToken = accessToken
        self.phoneNumberID = phoneNumberID
        self.graphURL = graphURL
        self.messagesPerSecond = messagesPerSecond
        self.retentionDays = retentionDays
    }
}
