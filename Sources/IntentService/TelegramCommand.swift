import ArgumentParser
import Foundation
import IntentChannels
import IntentHTTP

/// `intent-service telegram`: tells Telegram where to deliver the bot's updates, with the secret
/// the service checks them against, and shows what Telegram has.
struct TelegramCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "telegram",
        abstract: "Register the Telegram bot's webhook, or show it.",
        discussion: """
            Reads telegram_bot_token, telegram_webhook_secret and telegram_api_url as serve does \
            (flags, INTENT_* environment variables, the config file). Neither secret is ever printed.
            """,
        subcommands: [SetWebhook.self, WebhookInfo.self]
    )

    /// The settings shared by the subcommands: where the configuration comes from.
    struct Options: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("YAML configuration file (default: $INTENT_CONFIG).", valueName: "file"))
        var config: String?

        /// The Bot API with the configured token, and the webhook secret; exits 2 when the
        /// channel is not configured.
        func open() throws -> (api: BotAPI, secret: String, transport: CurlHTTPClient) {
            do {
                let layers = try ConfigurationLayers(configFile: config, flags: [:])
                let insecure = try layers.choice(.allowInsecureHTTP, default: "false", from: ["true", "false"]) == "true"
                guard let settings = try TelegramSettings.from(layers, allowInsecureHTTP: insecure) else {
                    throw ConfigurationError(
                        "the Telegram channel is not configured: set \(Setting.telegramBotToken.environmentVariable) (from @BotFather) and \(Setting.telegramWebhookSecret.environmentVariable)"
                    )
                }
                var http = CurlHTTPClient.Configuration()
                http.workers = 1
                http.caBundle = layers.optionalString(.caBundle)
                return (BotAPI(baseURL: settings.apiURL, token: settings.botToken), settings.webhookSecret, CurlHTTPClient(configuration: http))
            } catch {
                printError("configuration: \(error)")
                throw ExitCode(2)
            }
        }
    }

    /// Updates the channel reads; others (a member joining a group, a poll's answer) are never sent.
    static let allowedUpdates = ["message", "edited_message", "callback_query"]

    struct SetWebhook: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-webhook",
            abstract: "Point the bot's updates at this service (https://your.host/webhooks/telegram), with the webhook secret.")

        @OptionGroup var options: Options

        @Argument(help: ArgumentHelp("The public HTTPS URL of the service's /webhooks/telegram.", valueName: "url"))
        var url: String

        @Flag(name: .long, help: "Drop the updates Telegram holds for the bot instead of delivering them.")
        var dropPendingUpdates = false

        func run() async throws {
            let (api, secret, transport) = try options.open()
            if !url.hasSuffix("/webhooks/telegram") {
                printError("note: the service reads Telegram's updates at /webhooks/telegram; \(url) is another path")
            }
            var parameters: [String: Any] = ["url": url, "secret_token": secret, "allowed_updates": TelegramCommand.allowedUpdates]
            if dropPendingUpdates { parameters["drop_pending_updates"] = true }
            let answer = try await TelegramCommand.call(api, "setWebhook", parameters, over: transport)
            print(answer.description ?? "Webhook was set")
        }
    }

    struct WebhookInfo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "webhook-info", abstract: "Show the webhook Telegram has for the bot (getWebhookInfo), as JSON.")

        @OptionGroup var options: Options

        func run() async throws {
            let (api, _, transport) = try options.open()
            let answer = try await TelegramCommand.call(api, "getWebhookInfo", [:], over: transport)
            let data = try JSONSerialization.data(withJSONObject: answer.result, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// Calls a method; Telegram's refusal is printed (its description, never the URL) and exits 1.
    static func call(
        _ api: BotAPI, _ method: String, _ parameters: [String: Any], over transport: any HTTPTransport
    ) async throws -> (
        result: Any, description: String?
    ) {
        let answer: HTTPResponseData
        do {
            answer = try await transport.send(api.request(method, parameters))
        } catch {
            printError("telegram: \(method): no answer from the Bot API: \(api.redact("\(error)"))")
            throw ExitCode(1)
        }
        switch BotAPI.result(of: answer, method: method) {
        case .success(let result):
            let object = (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [String: Any]
            return (result, object?["description"] as? String)
        case .failure(let error):
            var text = "telegram: \(method) refused: \(error.status.map { "\($0) " } ?? "")\(error.description)"
            if error.status == 401 { text += " (check \(Setting.telegramBotToken.environmentVariable))" }
            printError(text)
            throw ExitCode(1)
        }
    }
}
