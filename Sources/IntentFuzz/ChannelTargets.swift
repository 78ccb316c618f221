import IntentChannels

/// What Meta posts to the webhook, and the automation file.
enum ChannelTargets {
    static let all: [FuzzTarget] = [
        FuzzTarget(name: "whatsapp-webhook") { bytes in
            let signature = WebhookSignature(appSecret: "fuzz")
            _ = signature.verify(body: bytes, header: String(decoding: bytes.prefix(80), as: UTF8.self))
            _ = signature.verify(body: bytes, header: signature.header(for: bytes))
            _ = try? WebhookPayload.decode(bytes)
            _ = try? WebhookPayload.decode(bytes, phoneNumberID: "106540352242922")
        },
        FuzzTarget(name: "automation") { bytes in
            _ = try? AutomationFile.parse(String(decoding: bytes, as: UTF8.self), file: "automation.yaml")
        },
    ]
}
