package import Foundation

/// A customer's place in a flow: kept in the state store between messages.
package struct FlowRun: Sendable, Equatable, Codable {
    package enum Status: String, Sendable, Codable {
        /// At an ask, a choice, a webhook or a wait.
        case waiting
        case completed
        /// The customer did not answer in time, or a stop word ended it.
        case abandoned
        case handedOver = "handed_over"
    }

    package var flow: String
    package var step: String
    package var variables: [String: String]
    /// Invalid answers given to the current step.
    package var retries: Int
    /// When the current step began waiting (timeouts and `wait` count from it).
    package var since: Date
    package var status: Status
    /// When the run began: with the customer, it names the run (the webhook's delivery id).
    package var startedAt: Date
    /// The customer answered at least one step.
    package var engaged: Bool

    package init(
        flow: String, step: String, variables: [String: String] = [:], retries: Int = 0, since: Date, status: Status = .waiting,
        startedAt: Date? = nil, engaged: Bool = false
    ) {
        self.flow = flow
        self.step = step
        self.variables = variables
        self.retries = retries
        self.since = since
        self.status = status
        self.startedAt = startedAt ?? since
        self.engaged = engaged
    }
}

/// What running a flow asks the channel to do, in order.
package enum FlowAction: Sendable, Equatable {
    case say(String)
    /// Reply buttons or a list message.
    case choice(Flow.Choice.Style, text: String, options: [Flow.Option])
    /// POST the run's variables; the result comes back through `FlowEngine.webhookFinished`.
    case callWebhook(url: String, flow: String, step: String, variables: [String: String])
    /// Hand the conversation to a person (the bot mutes), with this text.
    case handover(String)
    case tag(String)
    case untag(String)
    case setAttribute(String, String)
    /// An answer that names the person beyond this channel (a phone number, an e-mail address).
    case collected(ContactEvidence)
    /// The run entered a step (per-step analytics).
    case entered(flow: String, step: String)
    /// The customer picked this option at a choice step (per-option analytics).
    case chose(flow: String, step: String, option: String)
}

/// What the conversation tells a flow that the run does not hold.
package struct FlowContext: Sendable {
    package var contactName: String?
    /// The contact's attributes (earlier flows' `set`), as `{{contact.<key>}}`.
    package var attributes: [String: String]
    package var tags: Set<String>
    package var channel: String
    package var language: String?
    /// The business is open (the automation file's hours).
    package var open: Bool

    package init(
        contactName: String? = nil, attributes: [String: String] = [:], tags: Set<String> = [], channel: String = "whatsapp",
        language: String? = nil, open: Bool = true
    ) {
        self.contactName = contactName
        self.attributes = attributes
        self.tags = tags
        self.channel = channel
        self.language = language
        self.open = open
    }
}

/// A customer's message to a waiting run: typed text, or the id of a button or list row.
package enum FlowInput: Sendable, Equatable {
    case text(String)
    case choice(id: String)
}

/// Runs flows: a pure function of a run, an event and the time, so that a store can advance a
/// run in the same transaction that records the message, and tests can set the clock.
///
/// Invariant: every result leaves the run waiting at a step that waits (an ask, a choice, a
/// webhook, a wait) or finished; steps that do not wait are passed through at once, at most
/// `maxSteps` of them per event (the file's check forbids loops that never wait).
package struct FlowEngine: Sendable {
    package let flows: [String: Flow]
    package static let maxSteps = 64
    /// Said when an answer does not meet its expectation and the step gives no `invalid` text.
    package static let defaultInvalid = "Sorry, that does not look right."
    package static let defaultHandover = "Let me pass you to a colleague."

    package init(_ flows: [Flow]) {
        self.flows = Dictionary(flows.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    package struct Result: Sendable, Equatable {
        package var run: FlowRun
        package var actions: [FlowAction]
        /// False when the message was not the run's to take (it waits for a webhook or a clock):
        /// the matcher answers it as usual.
        package var consumed = true
    }

    package func start(_ flowID: String, context: FlowContext, now: Date) -> Result? {
        guard let flow = flows[flowID] else { return nil }
        var run = FlowRun(flow: flowID, step: flow.start, since: now)
        var actions: [FlowAction] = []
        advance(&run, to: flow.start, context: context, now: now, actions: &actions)
        return Result(run: run, actions: actions)
    }

    /// The customer's message to a waiting run.
    package func answer(_ input: FlowInput, run: FlowRun, context: FlowContext, now: Date) -> Result {
        var run = run
        var actions: [FlowAction] = []
        guard run.status == .waiting else { return Result(run: run, actions: [], consumed: false) }
        // The flow or step is gone (a reload changed the file): the run ends rather than wait for ever.
        guard let step = flows[run.flow]?.steps[run.step] else {
            run.status = .abandoned
            return Result(run: run, actions: [], consumed: false)
        }
        switch step.kind {
        case .ask, .choice: run.engaged = true  // an answer, right or wrong, is engagement
        default: break
        }
        switch step.kind {
        case .ask(let ask):
            let text: String
            switch input {
            case .text(let typed): text = typed
            case .choice(let id): text = id
            }
            if let value = ask.expect.accept(text) {
                run.variables[ask.save] = value
                if let evidence = ContactEvidence.collected(value, for: ask.expect) { actions.append(.collected(evidence)) }
                advance(&run, to: ask.next, context: context, now: now, actions: &actions)
            } else if run.retries >= ask.retries {
                if let otherwise = ask.otherwise {
                    advance(&run, to: otherwise, context: context, now: now, actions: &actions)
                } else {
                    actions.append(.handover(Self.defaultHandover))
                    run.status = .handedOver
                }
            } else {
                run.retries += 1
                actions.append(.say(render(ask.invalid ?? Self.defaultInvalid, run, context)))
                actions.append(.say(render(ask.text, run, context)))
            }
        case .choice(let choice):
            guard let option = Self.option(input, of: choice) else {
                // Not one of the options: shown again, once per allowed retry, then a person takes over.
                if run.retries >= 2 {
                    actions.append(.handover(Self.defaultHandover))
                    run.status = .handedOver
                } else {
                    run.retries += 1
                    actions.append(.choice(choice.style, text: render(choice.text, run, context), options: choice.options))
                }
                return Result(run: run, actions: actions)
            }
            actions.append(.chose(flow: run.flow, step: run.step, option: option.id))
            if let save = choice.save { run.variables[save] = option.id }
            guard let next = choice.branches[option.id] ?? choice.next else {
                run.status = .completed
                return Result(run: run, actions: actions)
            }
            advance(&run, to: next, context: context, now: now, actions: &actions)
        default:
            return Result(run: run, actions: [], consumed: false)
        }
        return Result(run: run, actions: actions)
    }

    /// The webhook of the waiting step answered (its JSON object's fields), or failed (nil) for good.
    package func webhookFinished(_ fields: [String: String]?, run: FlowRun, context: FlowContext, now: Date) -> Result {
        var run = run
        var actions: [FlowAction] = []
        guard run.status == .waiting, case .webhook(_, let next, let error)? = flows[run.flow]?.steps[run.step]?.kind else {
            return Result(run: run, actions: [], consumed: false)
        }
        if let fields {
            for (key, value) in fields { run.variables["webhook.\(key)"] = value }
            advance(&run, to: next, context: context, now: now, actions: &actions)
        } else {
            advance(&run, to: error, context: context, now: now, actions: &actions)
        }
        return Result(run: run, actions: actions)
    }

    /// When the waiting step's time is up: a `wait` goes on, an unanswered question times out. Nil while nothing is due.
    package func due(_ run: FlowRun, context: FlowContext, now: Date) -> Result? {
        guard run.status == .waiting else { return nil }
        var run = run
        guard let step = flows[run.flow]?.steps[run.step] else {
            run.status = .abandoned
            return Result(run: run, actions: [])
        }
        var actions: [FlowAction] = []
        let minutes: Int?
        let target: String?
        switch step.kind {
        case .wait(let wait, let next): (minutes, target) = (wait, next)
        case .ask(let ask): (minutes, target) = (ask.timeoutMinutes, ask.timeout)
        case .choice(let choice): (minutes, target) = (choice.timeoutMinutes, choice.timeout)
        default: return nil
        }
        guard let minutes, now >= run.since.addingTimeInterval(Double(minutes) * 60) else { return nil }
        if let target {
            advance(&run, to: target, context: context, now: now, actions: &actions)
        } else {
            run.status = .abandoned
        }
        return Result(run: run, actions: actions)
    }

    /// When the step the run waits at would be due (nil: it waits for the customer or a webhook only).
    package func deadline(of run: FlowRun) -> Date? {
        guard run.status == .waiting, let step = flows[run.flow]?.steps[run.step] else { return nil }
        let minutes: Int? =
            switch step.kind {
            case .wait(let wait, _): wait
            case .ask(let ask): ask.timeoutMinutes
            case .choice(let choice): choice.timeoutMinutes
            default: nil
            }
        return minutes.map { run.since.addingTimeInterval(Double($0) * 60) }
    }

    /// Passes through steps that do not wait, from `id`, until one waits or the run ends.
    private func advance(_ run: inout FlowRun, to id: String, context: FlowContext, now: Date, actions: inout [FlowAction]) {
        var next: String? = id
        // Tags and attributes a step sets count for the steps after it in the same pass.
        var context = context
        var visited = 0
        while let id = next {
            visited += 1
            guard visited <= Self.maxSteps, let flow = flows[run.flow], let step = flow.steps[id] else {
                run.status = .abandoned
                return
            }
            run.step = id
            run.retries = 0
            run.since = now
            run.status = .waiting
            actions.append(.entered(flow: run.flow, step: id))
            next = nil
            switch step.kind {
            case .say(let text, let after):
                actions.append(.say(render(text, run, context)))
                next = after
            case .ask(let ask):
                actions.append(.say(render(ask.text, run, context)))
                return
            case .choice(let choice):
                actions.append(.choice(choice.style, text: render(choice.text, run, context), options: choice.options))
                return
            case .branch(let cases, let otherwise):
                var condition = FlowCondition.Context(
                    variables: run.variables, tags: context.tags, channel: context.channel, language: context.language, open: context.open)
                for (key, value) in context.attributes { condition.variables["contact.\(key)"] = value }
                condition.variables["contact.name"] = context.contactName
                next = cases.first { $0.condition.holds(in: condition) }?.next ?? otherwise
            case .tag(let list, let after):
                for tag in list {
                    actions.append(.tag(tag))
                    context.tags.insert(tag)
                }
                next = after
            case .untag(let list, let after):
                for tag in list {
                    actions.append(.untag(tag))
                    context.tags.remove(tag)
                }
                next = after
            case .set(let values, let after):
                for (key, value) in values.sorted(by: { $0.key < $1.key }) {
                    let rendered = render(value, run, context)
                    actions.append(.setAttribute(key, rendered))
                    context.attributes[key] = rendered
                }
                next = after
            case .webhook(let url, _, _):
                actions.append(.callWebhook(url: url, flow: run.flow, step: id, variables: run.variables))
                return
            case .handover(let text):
                actions.append(.handover(render(text, run, context)))
                run.status = .handedOver
                return
            case .goto(let other):
                guard let target = flows[other] else {
                    run.status = .abandoned
                    return
                }
                run.flow = other
                next = target.start
            case .wait:
                return
            case .end:
                run.status = .completed
                return
            }
            if next == nil { run.status = .completed }
        }
    }

    private func render(_ text: String, _ run: FlowRun, _ context: FlowContext) -> String {
        var values = run.variables
        for (key, value) in context.attributes { values["contact.\(key)"] = value }
        values["contact.name"] = context.contactName ?? ""
        return FlowTemplate.render(text, values)
    }

    /// A choice by id, or typed as an option's title or id (any case).
    static func option(_ input: FlowInput, of choice: Flow.Choice) -> Flow.Option? {
        switch input {
        case .choice(let id): return choice.options.first { $0.id == id }
        case .text(let text):
            let typed = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            return choice.options.first { $0.title.lowercased() == typed || $0.id.lowercased() == typed }
        }
    }
}
