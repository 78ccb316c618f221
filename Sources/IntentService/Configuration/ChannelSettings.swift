import Foundation
import IntentChannels
import IntentSQLite

/// The channels' settings (WhatsApp on when its verify token, app secret and access token are
/// all set; Messenger, Instagram and Telegram likewise with theirs; the web chat when it has
/// sites); the automation file; where
/// conversations live.
struct ChannelSettings {
    var whatsapp: WhatsAppSettings?
    var messenger: MessengerSettings?
    var instagram: MessengerSettings?
    var telegram: TelegramSettings?
    var webchat: WebChatSettings?
    /// Whether any channel is on: then `serve` runs conversations.
    var anyChannel: Bool { whatsapp != nil || messenger != nil || instagram != nil || telegram != nil || webchat != nil }
    /// The automation file; nil: none (no greeting, never away).
    var automationPath: String?
    var state: StoreURL
    var retentionDays: Int

    init(_ layers: ConfigurationLayers, corpus: String, allowInsecureHTTP: Bool) throws(ConfigurationError) {
        state = try layers.storeURL(.state) ?? .defaultState
        // Meta redelivers a webhook for up to 7 days and the stored message ids are what makes a
        // redelivery a duplicate: they must outlive that window.
        retentionDays = try layers.int(.stateRetentionDays, default: 90, in: 8...3_650)
        if let path = layers.optionalString(.automation) {
            automationPath = path
        } else {
            let directory = Self.isDirectory(corpus) ? corpus : (corpus as NSString).deletingLastPathComponent
            let candidate = (directory.isEmpty ? "." : directory) + "/automation.yaml"
            automationPath = FileManager.default.fileExists(atPath: candidate) ? candidate : nil
        }
        messenger = try MessengerSettings.configured(.messenger, from: layers, retentionDays: retentionDays, allowInsecureHTTP: allowInsecureHTTP)
        instagram = try MessengerSettings.configured(.instagram, from: layers, retentionDays: retentionDays, allowInsecureHTTP: allowInsecureHTTP)
        telegram = try TelegramSettings.from(layers, allowInsecureHTTP: allowInsecureHTTP, retentionDays: retentionDays)
        webchat = try WebChatSettings.from(layers, retentionDays: retentionDays)
        whatsapp = try Self.whatsapp(layers, retentionDays: retentionDays, allowInsecureHTTP: allowInsecureHTTP)
    }

    private static func whatsapp(
        _ layers: ConfigurationLayers, retentionDays: Int, allowInsecureHTTP: Bool
    ) throws(ConfigurationError)
        -> WhatsAppSettings?
    {
        let secrets: [Setting] = [.whatsappVerifyToken, .whatsappAppSecret, .whatsappAccessToken]
        let given = secrets.filter { layers.optionalString($0) != nil }
        guard !given.isEmpty else { return nil }
        guard given.count == secrets.count else {
            let missing = secrets.filter { !given.contains($0) }.map(\.environmentVariable).joined(separator: ", ")
            throw ConfigurationError("the WhatsApp channel needs \(missing) too (it is on when all three secrets are set)")
        }
        for setting in secrets {
            let value = layers.optionalString(setting) ?? ""
            if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.value == 0x7F }) {
                throw ConfigurationError("\(layers.raw(setting)?.origin ?? setting.key): contains a control character (a line break?)")
            }
        }
        let graphURL = layers.string(.whatsappGraphURL, default: WhatsAppSettings.defaultGraphURL)
        try ProviderSettings.checkTransport(graphURL, setting: .whatsappGraphURL, layers: layers, allowInsecure: allowInsecureHTTP)
        let phoneNumberID = layers.optionalString(.whatsappPhoneNumberID)
        if let phoneNumberID, !phoneNumberID.allSatisfy(\.isNumber) {
            throw ConfigurationError(
                "\(layers.raw(.whatsappPhoneNumberID)?.origin ?? "whatsapp_phone_number_id"): '\(phoneNumberID)' is not a phone number id (digits, from the app's WhatsApp > API setup page)"
            )
        }
        let businessAccountID = layers.optionalString(.whatsappBusinessAccountID)
        if let businessAccountID, !businessAccountID.allSatisfy(\.isASCII) || !businessAccountID.allSatisfy(\.isNumber) {
            throw ConfigurationError(
                "\(layers.raw(.whatsappBusinessAccountID)?.origin ?? "whatsapp_business_account_id"): '\(businessAccountID)' is not a WhatsApp Business Account id (digits, from Business Settings > Accounts > WhatsApp accounts, or the app's WhatsApp > API setup page)"
            )
        }
        return WhatsAppSettings(
            verifyToken: layers.optionalString(.whatsappVerifyToken) ?? "", appSecret: layers.optionalString(.whatsappAppSecret) ?? "",
            accessToken: layers.optionalString(.whatsappAccessToken) ?? "", phoneNumberID: phoneNumberID, businessAccountID: businessAccountID,
            graphURL: graphURL,
            messagesPerSecond: Double(try layers.int(.whatsappRate, default: 80, in: 1...1_000)), retentionDays: retentionDays)
    }

    static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}
