import ArgumentParser
import Foundation
import IntentChannels

/// `intent-service agents`: the people (or programs) who sign in to the console and the `/v1/`
/// API with tokens of their own, kept in the state store.
struct AgentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents",
        abstract: "Manage the agents who sign in to the console with tokens of their own.",
        discussion: """
            Each agent has a name, which signs their edits and replies, and a role: viewer (reads \
            the console), agent (also answers customers and teaches the bot from the review \
            queue) or admin (also manages the flows, the corpus's answers and the agents). A new \
            token is printed once, alone on the last line of standard output; the state store \
            keeps only its SHA-256. A running serve takes a change within 5 seconds.
            """,
        subcommands: [Add.self, List.self, Remove.self, Token.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an agent and print its token.")

        @OptionGroup var options: StateCommand.StateOption

        @Argument(help: ArgumentHelp("Its name: ASCII letters or digits, '.', '_', '-', single spaces between words; up to 64."))
        var name: String

        @Option(name: .long, help: ArgumentHelp("viewer, agent or admin.", valueName: "role"))
        var role = Agent.Role.agent.rawValue

        @Option(
            name: .long,
            help: ArgumentHelp("How the console and the timeline show them, in any script (王芳); the name stays the key.", valueName: "text"))
        var displayName: String?

        func validate() throws {
            if let problem = AgentName.problem(with: name) { throw ValidationError(problem) }
            if let displayName, let problem = AgentDisplayName.problem(with: displayName) { throw ValidationError(problem) }
            if Agent.Role(rawValue: role) == nil { throw ValidationError("--role must be viewer, agent or admin") }
        }

        func run() async throws {
            let store = try await options.open()
            let role = Agent.Role(rawValue: role) ?? .viewer
            let (agent, token) = try await AgentsCommand.changing {
                try await store.addAgent(named: name, displayName: displayName, role: role, at: Date())
            }
            let shown = agent.displayName.map { ", shown as \(String(reflecting: $0))" } ?? ""
            printError("added '\(agent.name)' (\(agent.role.rawValue)\(shown)); their token, shown this once (the store keeps only its hash):")
            print(token)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the agents: name, role, created, last seen (never their tokens).")

        @OptionGroup var options: StateCommand.StateOption

        @Flag(name: .long, help: "One JSON object per agent and line, instead of a table.")
        var json = false

        func run() async throws {
            let agents = try await options.open().agents()
            if json {
                for agent in agents { print(try JSONOutput.line(Row(agent))) }
                return
            }
            guard !agents.isEmpty else {
                printError("no agents yet: intent-service agents add NAME --role agent")
                return
            }
            // Display names (any script, any width) go last, unpadded, and only when someone has one.
            let named = agents.contains { $0.displayName != nil }
            let rows =
                [["NAME", "ROLE", "CREATED", "LAST SEEN"] + (named ? ["DISPLAY NAME"] : [])]
                + agents.map {
                    [$0.name, $0.role.rawValue, Row.time($0.createdAt), Row.time($0.lastSeenAt)] + (named ? [$0.displayName ?? ""] : [])
                }
            let padded = named ? 4 : 3
            let widths = (0..<padded).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                let line = (0..<padded).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) } + [row[padded]]
                print(line.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            }
        }

        /// An agent as `--json` writes it: the fields of `GET /v1/agents`.
        struct Row: Encodable {
            var name: String
            var displayName: String?
            var role: String
            var createdAt: String
            var tokenRotatedAt: String
            var lastSeenAt: String?

            init(_ agent: Agent) {
                let format = ISO8601DateFormatter()
                name = agent.name
                displayName = agent.displayName
                role = agent.role.rawValue
                createdAt = format.string(from: agent.createdAt)
                tokenRotatedAt = format.string(from: agent.tokenRotatedAt)
                lastSeenAt = agent.lastSeenAt.map(format.string(from:))
            }

            enum CodingKeys: String, CodingKey {
                case name, role
                case displayName = "display_name"
                case createdAt = "created_at"
                case tokenRotatedAt = "token_rotated_at"
                case lastSeenAt = "last_seen_at"
            }

            /// A time for the table: to the minute, in UTC.
            static func time(_ date: Date?) -> String {
                guard let date else { return "never" }
                return String(ISO8601DateFormatter().string(from: date).prefix(16)).replacingOccurrences(of: "T", with: " ")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an agent: their token stops working.")

        @OptionGroup var options: StateCommand.StateOption

        @Argument(help: "The agent's name.")
        var name: String

        func run() async throws {
            guard try await options.open().removeAgent(named: name) else {
                printError("no agent named '\(name)'; intent-service agents list shows them")
                throw ExitCode(1)
            }
            printError("removed '\(name)'; a running serve refuses their token within 5 seconds")
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give an agent a new token (the old one stops working) and print it.")

        @OptionGroup var options: StateCommand.StateOption

        @Argument(help: "The agent's name.")
        var name: String

        func run() async throws {
            let store = try await options.open()
            let token = try await AgentsCommand.changing { try await store.rotateToken(ofAgent: name, at: Date()) }
            printError("a new token for '\(name)', shown this once; a running serve refuses the old one within 5 seconds:")
            print(token)
        }
    }

    /// A change the store refuses (a name taken, an agent unknown) exits 1 saying why.
    static func changing<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as AgentError {
            printError("agents: \(error)")
            throw ExitCode(1)
        }
    }
}
