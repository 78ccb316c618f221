import Foundation
import IntentChannels
import Testing

@testable import IntentService

/// `whatsapp_business_account_id`: the account whose approved templates the inbox sends.
@Suite struct BusinessAccountSettingTests {
    static let secrets = [
        "INTENT_WHATSAPP_VERIFY_TOKEN": "verify", "INTENT_WHATSAPP_APP_SECRET": "secret", "INTENT_WHATSAPP_ACCESS_TOKEN": "EAAG-token",
    ]

    func whatsapp(_ environment: [String: String]) throws(ConfigurationError) -> WhatsAppSettings? {
        let layers = try ConfigurationLayers(configFile: nil, flags: [.embedder: "lexical"], environment: environment)
        return try ServiceConfiguration(layers).channel.whatsapp
    }

    @Test func theAccountIdIsReadAndMustBeDigits() throws {
        #expect(try whatsapp(Self.secrets)?.businessAccountID == nil, "optional: templates are off without it")
        let set = Self.secrets.merging(["INTENT_WHATSAPP_BUSINESS_ACCOUNT_ID": "102290129340398"]) { $1 }
        #expect(try whatsapp(set)?.businessAccountID == "102290129340398")
        #expect(Setting.whatsappBusinessAccountID.environmentVariable == "INTENT_WHATSAPP_BUSINESS_ACCOUNT_ID")
        #expect(!Setting.whatsappBusinessAccountID.isSecret)
        do {
            _ = try whatsapp(Self.secrets.merging(["INTENT_WHATSAPP_BUSINESS_ACCOUNT_ID": "waba-1/../x"]) { $1 })
            Issue.record("an id that is not digits must be refused")
        } catch {
            #expect(error.description.hasPrefix("INTENT_WHATSAPP_BUSINESS_ACCOUNT_ID: 'waba-1/../x' is not a WhatsApp Business Account id"))
        }
    }
}
