import Foundation
import IntentChannels
import Testing

@testable import IntentService

/// The Messenger and Instagram settings: off unless set, refused when half set, secrets never echoed.
@Suite struct MessengerSettingsTests {
    static let messenger = [
        "INTENT_MESSENGER_VERIFY_TOKEN": "verify", "INTENT_MESSENGER_APP_SECRET": "app-secret-m",
        "INTENT_MESSENGER_PAGE_ID": "104000000000001", "INTENT_MESSENGER_PAGE_ACCESS_TOKEN": "EAAG-page-token",
    ]
    static let instagram = [
        "INTENT_INSTAGRAM_VERIFY_TOKEN": "verify-ig", "INTENT_INSTAGRAM_APP_SECRET": "app-secret-i",
        "INTENT_INSTAGRAM_ACCOUNT_ID": "17841400000000001", "INTENT_INSTAGRAM_ACCESS_TOKEN": "IGAA-account-token",
    ]

    func settings(
        _ platform: MessengerSettings.Platform, _ environment: [String: String], insecure: Bool = false
    ) throws(ConfigurationError)
        -> MessengerSettings?
    {
        let layers = try ConfigurationLayers(configFile: nil, flags: [:], environment: environment)
        return try MessengerSettings.configured(platform, from: layers, retentionDays: 30, allowInsecureHTTP: insecure)
    }

    func refusal(_ platform: MessengerSettings.Platform, _ environment: [String: String], insecure: Bool = false) -> String? {
        do {
            _ = try settings(platform, environment, insecure: insecure)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func aChannelIsOffUntilSetAndOnWhenFullySet() throws {
        #expect(try settings(.messenger, [:]) == nil)
        #expect(try settings(.instagram, Self.messenger) == nil, "one channel's settings do not turn on the other")
        let messenger = try #require(try settings(.messenger, Self.messenger))
        #expect(messenger.platform == .messenger)
        #expect(messenger.accountID == "104000000000001")
        #expect(messenger.accessToken == "EAAG-page-token")
        #expect(messenger.graphURL == "https://graph.facebook.com/v21.0")
        #expect(messenger.retentionDays == 30)
        let instagram = try #require(
            try settings(.instagram, Self.instagram.merging(["INTENT_INSTAGRAM_GRAPH_URL": "https://graph.instagram.com/v21.0"]) { $1 }))
        #expect(instagram.accountID == "17841400000000001")
        #expect(instagram.graphURL == "https://graph.instagram.com/v21.0")
        for setting in [
            Setting.messengerVerifyToken, .messengerAppSecret, .messengerPageAccessToken, .instagramVerifyToken, .instagramAppSecret,
            .instagramAccessToken,
        ] {
            #expect(setting.isSecret, "\(setting.key)")
        }
        #expect(!Setting.messengerPageID.isSecret && !Setting.instagramAccountID.isSecret)
        #expect(Setting.messengerPageAccessToken.environmentVariable == "INTENT_MESSENGER_PAGE_ACCESS_TOKEN")
    }

    @Test func aHalfConfiguredChannelIsRefusedNamingWhatIsMissing() {
        var half = Self.messenger
        half["INTENT_MESSENGER_PAGE_ACCESS_TOKEN"] = nil
        half["INTENT_MESSENGER_PAGE_ID"] = nil
        let reason = refusal(.messenger, half)
        #expect(
            reason
                == "the Messenger channel needs messenger_page_id (INTENT_MESSENGER_PAGE_ID), messenger_page_access_token (INTENT_MESSENGER_PAGE_ACCESS_TOKEN) too (it is on when messenger_verify_token, messenger_app_secret, messenger_page_id, messenger_page_access_token are all set)"
        )
        let instagram = refusal(.instagram, ["INTENT_INSTAGRAM_ACCESS_TOKEN": "IGAA-account-token"])
        #expect(
            instagram?.hasPrefix("the Instagram channel needs instagram_verify_token (INTENT_INSTAGRAM_VERIFY_TOKEN), instagram_app_secret") == true)
        #expect(instagram?.contains("IGAA-account-token") == false)
    }

    @Test func controlCharactersBadIdsAndInsecureURLsAreRefusedWithoutEchoingSecrets() {
        let broken = refusal(.messenger, Self.messenger.merging(["INTENT_MESSENGER_PAGE_ACCESS_TOKEN": "EAAG-page\r\nX-Evil: 1"]) { $1 })
        #expect(broken == "INTENT_MESSENGER_PAGE_ACCESS_TOKEN: contains a control character (a line break?)")
        let id = refusal(.messenger, Self.messenger.merging(["INTENT_MESSENGER_PAGE_ID": "me/../../v1"]) { $1 })
        #expect(id?.hasPrefix("INTENT_MESSENGER_PAGE_ID: 'me/../../v1' is not a Facebook Page id") == true)
        let arabic = refusal(.instagram, Self.instagram.merging(["INTENT_INSTAGRAM_ACCOUNT_ID": "١٢٣"]) { $1 })
        #expect(arabic?.hasPrefix("INTENT_INSTAGRAM_ACCOUNT_ID: '١٢٣' is not an Instagram professional account id") == true)
        let plain = Self.messenger.merging(["INTENT_MESSENGER_GRAPH_URL": "http://graph.example.com/v21.0"]) { $1 }
        #expect(refusal(.messenger, plain)?.contains("plain http to another host") == true)
        #expect(refusal(.messenger, plain, insecure: true) == nil)
        #expect(refusal(.messenger, Self.messenger.merging(["INTENT_MESSENGER_GRAPH_URL": "http://127.0.0.1:8080/v21.0"]) { $1 }) == nil)
        #expect(
            refusal(.messenger, Self.messenger.merging(["INTENT_MESSENGER_GRAPH_URL": "graph.facebook.com"]) { $1 })?.contains(
                "is not an http(s) URL") == true)
    }
}
