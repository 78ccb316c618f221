import IntentCore

/// Meta's webhook subscription handshake, the same for WhatsApp, Messenger and Instagram:
/// `GET ?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...`, answered with the challenge
/// when the token is the one the business typed into the app's webhook settings.
package enum MetaHandshake {
    /// - Parameter setting: the verify token's setting, named in a refusal (never its value).
    package static func answer(query: [String: String], verifyToken: String, setting: String) -> Handshake {
        guard query["hub.mode"] == "subscribe", let token = query["hub.verify_token"], let challenge = query["hub.challenge"],
            ConstantTime.equal(token, verifyToken)
        else {
            return .refused("hub.mode must be subscribe and hub.verify_token must match \(setting)")
        }
        return .echo(challenge)
    }
}
