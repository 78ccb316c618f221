import Foundation
import IntentCore
import Logging
import Testing

@testable import IntentServer

/// Reloads asked for at once (SIGHUP, /admin/reload, the recovery loop) run one at a time,
/// in the order asked, so the newest load is the last swap.
@Suite struct CorpusReloaderTests {
    @Test func concurrentReloadsNeverOverlapAndTheNewestWins() async throws {
        let active = Locked(0)
        let most = Locked(0)
        let calls = Locked(0)
        let finished = Locked<[Int]>([])
        let holder = ServiceHolder()
        let reloader = CorpusReloader(holder: holder, metrics: ServiceMetrics(), logger: Logger(label: "test")) {
            let call = calls.withLock { count in
                count += 1
                return count
            }
            active.withLock { $0 += 1 }
            most.withLock { $0 = max($0, active.current) }
            // Earlier loads take longer: were they to overlap, an older one would finish last.
            try await Task.sleep(for: .milliseconds(5 * max(1, 12 - call)))
            let corpus = Corpus(entries: [FAQEntry(id: "x", questions: ["question \(call)"], answer: "load \(call)")])
            let service = MatchService(try await Matcher.build(corpus: corpus, embedder: LexicalEmbedder()))
            finished.withLock { $0.append(call) }
            active.withLock { $0 -= 1 }
            return service
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<10 { group.addTask { try await reloader.reload() } }
            try await group.waitForAll()
        }
        #expect(most.current == 1, "loads overlapped")
        #expect(finished.current == Array(1...10), "loads finished out of order")
        #expect(holder.service?.corpus.entries.first?.answer == "load 10", "the newest load is the one in service")
    }

    @Test func aFailedReloadKeepsTheServiceAndTheNextOneRuns() async throws {
        let fail = Locked(true)
        let holder = ServiceHolder()
        let reloader = CorpusReloader(holder: holder, metrics: ServiceMetrics(), logger: Logger(label: "test")) {
            if fail.current {
                throw CorpusValidationError(issues: [CorpusIssue(.error, SourceLocation(file: "faq.jsonl", line: 1), "broken")])
            }
            let corpus = Corpus(entries: [FAQEntry(id: "x", questions: ["q"], answer: "ok")])
            return MatchService(try await Matcher.build(corpus: corpus, embedder: LexicalEmbedder()))
        }
        await #expect(throws: CorpusValidationError.self) { try await reloader.reload() }
        #expect(holder.service == nil)
        fail.withLock { $0 = false }
        try await reloader.reload()
        #expect(holder.service?.corpus.entries.first?.answer == "ok")
    }
}
