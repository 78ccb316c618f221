import ArgumentParser
import Foundation
import IntentChannels
import IntentCore
import IntentSQLite

/// `intent-service state`: the channel's conversation state, outside the running service.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Manage the conversation state of the chat channels (WhatsApp, Messenger, Instagram, Telegram, the web chat).",
        discussion: """
            The state store (--state, else INTENT_STATE, else the --config file's state, else \
            sqlite:.intent/state.sqlite) holds customers' messages, conversations and the outbox. \
            Customer messages are personal data: `purge` deletes them. A running serve keeps \
            working while these commands run.
            """,
        subcommands: [Purge.self, Unmute.self]
    )

    /// What `--customer` takes: a conversation's key, as the inbox shows it (`ChannelIdentity.key`).
    static var customerHelp: ArgumentHelp {
        ArgumentHelp(
            "The customer's conversation id, as the inbox shows it: a WhatsApp number alone (wa_id, digits only), any other channel's id after its name (messenger:<page-scoped id>, instagram:<id>, telegram:<chat id>, webchat:<site>:<visitor>).",
            valueName: "id")
    }

    struct StateOption: ParsableArguments {
        @Option(
            name: .long,
            help: ArgumentHelp("State store (default: $INTENT_STATE, else the config file's state, else \(StoreURL.defaultState)).", valueName: "url")
        )
        var state: String?

        @Option(name: .long, help: ArgumentHelp("YAML configuration file, for its state setting (default: $INTENT_CONFIG).", valueName: "file"))
        var config: String?

        /// The store `serve` would use with the same flags, environment and config file.
        func url() throws -> StoreURL {
            do {
                let layers = try ConfigurationLayers(configFile: config, flags: state.map { [.state: $0] } ?? [:])
                return try layers.storeURL(.state) ?? .defaultState
            } catch {
                printError("configuration: \(error)")
                throw ExitCode(2)
            }
        }

        func open() async throws -> any StateStore {
            let url = try url()
            do {
                return try await url.openState()
            } catch {
                printError("state: \(error)")
                throw ExitCode(2)
            }
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a customer's messages and conversation, or everything older than some days.",
            discussion: """
                --customer deletes everything stored about one customer (their messages, \
                conversation, queued and sent replies, delivery statuses); counters keep their \
                totals. --older-than-days does what the service's retention (state_retention_days) \
                does hourly.
                """)

        @OptionGroup var options: StateOption

        @Option(name: .long, help: StateCommand.customerHelp)
        var customer: String?

        @Option(name: .customLong("older-than-days"), help: ArgumentHelp("Delete what is older than this many days.", valueName: "days"))
        var olderThanDays: Int?

        func validate() throws {
            guard (customer == nil) != (olderThanDays == nil) else {
                throw ValidationError("give exactly one of --customer ID or --older-than-days N")
            }
            if let olderThanDays, olderThanDays < 1 { throw ValidationError("--older-than-days must be at least 1") }
        }

        func run() async throws {
            let store = try await options.open()
            if let customer {
                let deleted = try await store.purge(customer: customer)
                printError(deleted == 0 ? "nothing stored about customer \(customer)" : "deleted \(deleted) rows about customer \(customer)")
            } else if let days = olderThanDays {
                let cutoff = Date().addingTimeInterval(-Double(days) * 86_400)
                let deleted = try await store.purge(before: cutoff)
                printError("deleted \(deleted) rows older than \(days) days")
            }
        }
    }

    struct Unmute: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a conversation back to the bot before its hand-over mute ends.")

        @OptionGroup var options: StateOption

        @Option(name: .long, help: StateCommand.customerHelp)
        var customer: String

        func run() async throws {
            let store = try await options.open()
            guard try await store.unmute(customer: customer) else {
                printError("no conversation with customer \(customer)")
                throw ExitCode(1)
            }
            printError("the bot answers customer \(customer) again")
        }
    }
}
