package import Foundation
import IntentCore
import IntentHTTP
import Logging

extension ChannelRuntime {
    /// What `startFlow` came to.
    package enum FlowStart: Sendable, Equatable {
        case started
        case unknownFlow
        /// The customer never wrote to the business.
        case unknownCustomer
        /// The customer's last message is older than 24 hours: only a template may reach them.
        case windowClosed(since: Date)
        /// Another run is waiting for the customer, and this flow does not `interrupts`.
        case running(flow: String)
        case storeUnavailable
    }

    /// Starts a flow for a customer (`POST /v1/flows/{id}/start`): within the 24-hour window,
    /// and unless another run waits for the customer (a flow that `interrupts` replaces it).
    package func startFlow(_ flowID: String, customer: String) async -> FlowStart {
        let runner = flowRunner
        guard runner.engine.flows[flowID] != nil else { return .unknownFlow }
        let now = clock()
        let automation = policy.automation
        let outcome = Locked<FlowStart>(.unknownCustomer)
        let windows = replyWindows
        do {
            let queued = try await advance(customer: customer, at: now, finishing: nil) { conversation in
                if let closes = windows.closes(conversation), closes <= now {
                    outcome.withLock { $0 = .windowClosed(since: closes) }
                    return nil
                }
                if let muted = conversation.mutedUntil, muted > now {
                    // A person has the conversation: the bot does not talk over them.
                    outcome.withLock { $0 = .running(flow: "handover") }
                    return nil
                }
                var conversation = conversation
                var replies: [OutboundDraft] = []
                var triggers: [Trigger] = []
                if let run = conversation.flowRun {
                    guard runner.engine.flows[flowID]?.interrupts == true else {
                        outcome.withLock { $0 = .running(flow: run.flow) }
                        return nil
                    }
                    runner.finish(run, status: .abandoned, conversation: &conversation, triggers: &triggers)
                }
                let context = runner.context(conversation, language: nil, open: !automation.isClosed(at: now))
                guard let result = runner.engine.start(flowID, context: context, now: now) else { return nil }
                runner.apply(result, previous: nil, to: &conversation, now: now, replies: &replies, triggers: &triggers)
                outcome.withLock { $0 = .started }
                return ConversationPlan(conversation: conversation, replies: replies, triggers: triggers)
            }
            storeHealth.succeeded()
            if let queued, !queued.isEmpty { publishQueued(customer: customer, items: queued, at: now) }
        } catch {
            storeHealth.failed("starting a flow", error: error)
            return .storeUnavailable
        }
        outboxWakeup.signal()
        return outcome.current
    }

    /// Runs whose time came: a question unanswered past its `timeout_minutes`, a `wait` over.
    func advanceDueRuns() async {
        let store = self.store
        let now = clock()
        guard let customers = try? await store.dueFlowRuns(now: now, limit: 64), !customers.isEmpty else { return }
        let runner = flowRunner
        let open = !policy.automation.isClosed(at: now)
        var advanced = false
        for customer in customers {
            do {
                let queued = try await advance(customer: customer, at: now, finishing: nil) { conversation in
                    guard let run = conversation.flowRun else { return nil }
                    var conversation = conversation
                    var replies: [OutboundDraft] = []
                    var triggers: [Trigger] = []
                    if let result = runner.engine.due(run, context: runner.context(conversation, language: nil, open: open), now: now) {
                        runner.apply(result, previous: run, to: &conversation, now: now, replies: &replies, triggers: &triggers)
                    } else {
                        // Not due after all (a reload changed the step's minutes): when it is now.
                        conversation.flowDueAt = runner.engine.deadline(of: run)
                    }
                    return ConversationPlan(conversation: conversation, replies: replies, triggers: triggers)
                }
                advanced = advanced || queued?.isEmpty == false
                storeHealth.succeeded()
                if let queued, !queued.isEmpty { publishQueued(customer: customer, items: queued, at: now) }
            } catch {
                storeHealth.failed("advancing a flow run", error: error)
                return
            }
        }
        if advanced { outboxWakeup.signal() }
    }

    /// Calls a flow's webhook step (an outbox item of kind `webhook`) and advances the run with
    /// its answer; failures are retried (2 s, doubling) until the item is `retryFor` old, then the
    /// run takes the step's `error` target. The call and the run's advance are two steps: a crash
    /// between them calls the webhook again with the same `X-Intent-Delivery`.
    func callWebhook(_ item: OutboxItem) async {
        let outcome: FlowWebhook.Outcome
        if let request = flowWebhook.request(for: item), let transport = webhookTransport {
            do {
                outcome = FlowWebhook.outcome(of: try await transport.send(request))
            } catch {
                outcome = .retry("\(error)")
            }
        } else {
            outcome = .failed("the step has no URL: set the URL setting the flow file names")
        }
        let now = clock()
        let step = Self.flowStep(of: item)
        let store = self.store
        let fields: [String: String]?
        let failure: String?
        switch outcome {
        case .answered(let answer):
            (fields, failure) = (answer, nil)
        case .retry(let reason) where now.timeIntervalSince(item.createdAt) < flowWebhook.retryFor:
            if item.attempts == 0 {
                logger.warning(
                    "flow webhook failed; retrying for up to \(Int(flowWebhook.retryFor)) s",
                    metadata: ["flow": "\(step.flow)", "step": "\(step.step)", "item": "\(item.id)", "error": "\(reason)"])
            }
            let next = now.addingTimeInterval(Self.retryDelay(attempt: item.attempts + 1, first: settings.firstRetryDelay))
            do {
                try await store.retryLater(item.id, at: next, error: reason)
            } catch {
                storeHealth.failed("recording a flow webhook's retry", error: error)
            }
            return
        case .retry(let reason), .failed(let reason):
            logger.error(
                "flow webhook failed for good; the run takes the step's error target",
                metadata: ["flow": "\(step.flow)", "step": "\(step.step)", "item": "\(item.id)", "error": "\(reason)"])
            (fields, failure) = (nil, reason)
        }
        let runner = flowRunner
        let open = !policy.automation.isClosed(at: now)
        do {
            let finishing = FinishedItem(id: item.id, failure: failure)
            let queued = try await advance(customer: item.customer, at: now, finishing: finishing) { conversation in
                // The run may have ended or moved on meanwhile (a stop word): the answer is then nobody's.
                guard let run = conversation.flowRun, run.flow == step.flow, run.step == step.step else { return nil }
                var conversation = conversation
                var replies: [OutboundDraft] = []
                var triggers: [Trigger] = []
                let result = runner.engine.webhookFinished(
                    fields, run: run, context: runner.context(conversation, language: nil, open: open), now: now)
                guard result.consumed else { return nil }
                runner.apply(result, previous: run, to: &conversation, now: now, replies: &replies, triggers: &triggers)
                return ConversationPlan(conversation: conversation, replies: replies, triggers: triggers)
            }
            storeHealth.succeeded()
            if let queued, !queued.isEmpty { publishQueued(customer: item.customer, items: queued, at: now) }
        } catch {
            storeHealth.failed("recording a flow webhook's answer", error: error)
        }
        outboxWakeup.signal()
    }

    /// The flow and step a webhook item was queued for (its body says).
    static func flowStep(of item: OutboxItem) -> (flow: String, step: String) {
        struct Body: Decodable {
            var flow: String
            var step: String
        }
        let body = try? JSONDecoder().decode(Body.self, from: Data(item.draft.body.utf8))
        return (body?.flow ?? "", body?.step ?? "")
    }
}
