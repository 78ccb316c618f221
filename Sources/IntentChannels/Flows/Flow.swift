import Foundation

/// A conversation flow of the flow file (`flows.yaml`): what starts it and its steps, each one
/// kind, linked by step ids. `FlowFile` reads and checks it; `FlowEngine` runs it.
package struct Flow: Sendable, Equatable {
    package var id: String
    package var name: String
    package var trigger: Trigger
    /// A trigger of this flow starts it even while the customer is inside another run.
    package var interrupts: Bool
    package var start: String
    package var steps: [String: Step]
    /// Step ids as written, for diagrams and messages.
    package var order: [String]
    /// The line of the flow's id in the file.
    package var line: Int

    package enum Trigger: Sendable, Equatable {
        /// Any of these words or phrases in the message (normalised, as keyword rules match).
        case keywords([String])
        /// The matcher answered with this FAQ entry: the flow replaces its static answer.
        case entry(String)
        /// The customer's first message ever.
        case firstMessage
        /// Only `POST /v1/flows/{id}/start`.
        case api
    }

    package struct Step: Sendable, Equatable {
        package var id: String
        package var kind: Kind
        package var line: Int
    }

    package enum Kind: Sendable, Equatable {
        /// Text (`{{variable}}` substituted), then `next`; nil `next` ends the run.
        case say(String, next: String?)
        case ask(Ask)
        case choice(Choice)
        /// The first true case wins, else `otherwise`.
        case branch([BranchCase], otherwise: String)
        case tag([String], next: String?)
        case untag([String], next: String?)
        /// Contact attributes kept after the flow (values are templates).
        case set([String: String], next: String?)
        /// POSTs the run's variables; a 2xx JSON object's fields become `webhook.<field>`.
        case webhook(url: String, next: String, error: String)
        case handover(String)
        case goto(flow: String)
        case wait(minutes: Int, next: String)
        case end
    }

    package struct Ask: Sendable, Equatable {
        package var text: String
        package var save: String
        package var expect: Expectation
        /// Said before asking again when the answer does not meet `expect`.
        package var invalid: String?
        package var retries: Int
        /// Where the run goes after the last retry fails (nil: a hand-over).
        package var otherwise: String?
        package var timeoutMinutes: Int?
        /// Where the run goes when the customer does not answer in time (nil: it ends as abandoned).
        package var timeout: String?
        package var next: String
    }

    package enum Expectation: Sendable, Equatable {
        case text, email, phone, number, date
        case pattern(String)
    }

    package struct Choice: Sendable, Equatable {
        package enum Style: String, Sendable { case buttons, list }
        package var style: Style
        package var text: String
        package var options: [Option]
        package var save: String?
        package var branches: [String: String]
        package var next: String?
        package var timeoutMinutes: Int?
        package var timeout: String?
    }

    package struct Option: Sendable, Equatable {
        package var id: String
        package var title: String

        package init(id: String, title: String) {
            self.id = id
            self.title = title
        }
    }

    package struct BranchCase: Sendable, Equatable {
        package var condition: FlowCondition
        package var next: String
    }
}

extension Flow.Kind {
    /// Steps that wait for the customer or the clock before the run goes on: a loop needs one,
    /// or it would run (or call a webhook) without end.
    package var waits: Bool {
        switch self {
        case .ask, .choice, .wait: true
        default: false
        }
    }

    /// Every step this one can lead to.
    package var targets: [String] {
        switch self {
        case .say(_, let next), .tag(_, let next), .untag(_, let next), .set(_, let next): next.map { [$0] } ?? []
        case .ask(let ask): [ask.next] + [ask.otherwise, ask.timeout].compactMap { $0 }
        case .choice(let choice): choice.options.compactMap { choice.branches[$0.id] } + [choice.next, choice.timeout].compactMap { $0 }
        case .branch(let cases, let otherwise): cases.map(\.next) + [otherwise]
        case .webhook(_, let next, let error): [next, error]
        case .wait(_, let next): [next]
        case .handover, .goto, .end: []
        }
    }
}
