import Foundation
import IntentCore
import IntentProviders

extension WhatsAppChannel {
    /// Sends in flight at once (each on a libcurl worker thread).
    static let sendsInParallel = 16
    /// Retries of one message before it is marked failed (the first after 2 s, doubling to 10 minutes: about 3 hours).
    static let maxAttempts = 24

    /// The delay before retry number `attempt` (1-based): 2 s, 4 s, 8 s ... at most 10 minutes.
    public static func retryDelay(attempt: Int, first: TimeInterval = 2) -> TimeInterval {
        min(600, first * pow(2, Double(max(0, attempt - 1))))
    }

    /// Sends due outbox items, paced; per customer one at a time and in order.
    func sendOutbox() async {
        let store = self.store
        var pacer = SendPacer(overallPerSecond: settings.messagesPerSecond)
        while !Task.isCancelled {
            let now = clock()
            let due: [OutboxItem]
            let nextDue: Date?
            do {
                (due, nextDue) = try await BlockingIO.run { (try store.dueOutbox(now: now, limit: 256), try store.nextOutboxDue()) }
            } catch {
                logger.error("whatsapp: cannot read the outbox", metadata: ["error": "\(error)"])
                await outboxWakeup.wait(timeout: .seconds(2))
                continue
            }
            var ready: [OutboxItem] = []
            var wake = nextDue ?? now.addingTimeInterval(5)
            for item in due {
                if let later = pacer.admit(customer: item.customer, isMessage: item.draft.kind == .text, now: now) {
                    wake = min(wake, later)
                } else {
                    ready.append(item)
                }
            }
            if ready.isEmpty {
                let seconds = min(5, max(0.01, wake.timeIntervalSince(now)))
                await outboxWakeup.wait(timeout: .milliseconds(Int(seconds * 1_000)))
                continue
            }
            await withTaskGroup(of: Void.self) { group in
                var running = 0
                for item in ready {
                    if running == Self.sendsInParallel {
                        await group.next()
                        running -= 1
                    }
                    group.addTask { await self.send(item) }
                    running += 1
                }
            }
        }
    }

    private func send(_ item: OutboxItem) async {
        let outcome: GraphAPI.Outcome
        do {
            var item = item
            // A webhook without metadata names no business number: answer from the configured one.
            if item.phoneNumberID.isEmpty, let configured = settings.phoneNumberID { item.phoneNumberID = configured }
            outcome = GraphAPI.outcome(of: try await transport.send(graph.request(for: item)))
        } catch {
            outcome = .failed(GraphError(status: nil, code: nil, detail: "\(error)", trace: nil))
        }
        let store = self.store
        let now = clock()
        do {
            switch outcome {
            case .sent(let id):
                try await BlockingIO.run { try store.markSent(item.id, channelMessageID: id, at: now) }
                if unhealthyReason != nil { reportProblem(nil) }
            case .failed(let error):
                if error.isTokenInvalid {
                    let reason = "the WhatsApp access token was rejected (code 190): replace whatsapp_access_token"
                    reportProblem(reason)
                    logger.critical("whatsapp: \(reason)", metadata: ["fbtrace_id": "\(error.trace ?? "-")"])
                }
                let attempt = item.attempts + 1
                if error.isRetryable && attempt < Self.maxAttempts {
                    let next = now.addingTimeInterval(Self.retryDelay(attempt: attempt, first: settings.firstRetryDelay))
                    logger.warning(
                        "whatsapp: send failed, retrying", metadata: ["item": "\(item.id)", "attempt": "\(attempt)", "error": "\(error)"])
                    try await BlockingIO.run { try store.retryLater(item.id, at: next, error: error.description) }
                } else {
                    logger.error("whatsapp: send failed for good", metadata: ["item": "\(item.id)", "error": "\(error)"])
                    try await BlockingIO.run { try store.markFailed(item.id, at: now, error: error.description) }
                }
            }
        } catch {
            logger.error("whatsapp: cannot record a send's outcome", metadata: ["item": "\(item.id)", "error": "\(error)"])
        }
    }
}
