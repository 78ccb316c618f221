import Foundation
import Glibc
import IntentChannels
import IntentCore
import IntentSQLite
import IntentTestSupport
import Testing

/// `serve` (the binary: the process is the subject) killed with SIGKILL in the middle of a
/// channel's traffic and started again on the same state, for every channel: each message the
/// service acknowledged, and each the platform delivers again, is answered exactly once (what
/// the fake API accepted has every answer, none twice).
@Suite(.serialized) struct KillNineServeTests {
    static let arguments = ["--corpus", "corpus", "--embedder", "lexical"]
    static let customers = 0..<3

    @Test(arguments: ServedChannel.Kind.allCases)
    func everyMessageIsAnsweredOnceAcrossAKillNine(_ kind: ServedChannel.Kind) async throws {
        let channel = try await ServedChannel.start(kind)
        let questions = ServedChannel.questions
        let messages = Self.customers.map { customer in
            questions.indices.map { ServedChannel.Message(customer: customer, number: $0, text: questions[$0]) }
        }
        let first = try ServeCommandTests.ServerProcess(arguments: Self.arguments, environment: channel.environment())
        defer { first.stop() }
        let port = try await first.port()
        #expect(try await first.waitFor("corpus loaded"))
        let expected = try await ServedChannel.expectedTexts(port, for: questions)
        let state = try SQLiteStateStore(path: channel.folder.file("state.sqlite"))

        // Each customer's first message, answered and the sends recorded.
        for customer in Self.customers { #expect(try await channel.deliver(messages[customer][0], to: port) / 100 == 2) }
        try await eventually("the first messages answered") {
            for customer in Self.customers where try await channel.texts(to: customer, port: port).count < 2 { return false }
            return true
        }
        try await ServedChannel.settle(state)

        // The platform goes down: replies to the second messages wait for retries.
        let refusing = try await channel.refuseSends()
        let accepted = try await channel.accepted()
        for customer in Self.customers { #expect(try await channel.deliver(messages[customer][1], to: port) / 100 == 2) }
        if refusing { #expect(try await first.waitFor("send failed, retrying")) }

        // The third messages arrive while serve is killed: some acknowledged, some not.
        let acknowledged = Locked<Set<Int>>([])
        let delivering = Task {
            for customer in Self.customers {
                if let status = try? await channel.deliver(messages[customer][2], to: port), status / 100 == 2 {
                    acknowledged.withLock { _ = $0.insert(customer) }
                    // A visitor's widget has no redelivery: no post is left in flight at the kill.
                    if !channel.redelivers { break }
                }
            }
        }
        try await eventually("a third message acknowledged") { !acknowledged.current.isEmpty }
        kill(first.process.processIdentifier, SIGKILL)
        _ = try await first.exitStatus()
        await delivering.value
        print("KillNineServeTests \(kind): killed with \(acknowledged.current.count) of 3 third messages acknowledged")
        #expect(try await channel.accepted() == accepted, "nothing reached the platform while it was down")

        // Started again on the same state, the platform back: the platform delivers again what
        // was not acknowledged (and, as platforms do, some of what was); a visitor sends again.
        try await channel.acceptSends()
        let second = try ServeCommandTests.ServerProcess(arguments: Self.arguments, environment: channel.environment())
        defer { second.stop() }
        let port2 = try await second.port()
        for message in messages.joined() where channel.redelivers || (message.number == 2 && !acknowledged.current.contains(message.customer)) {
            #expect(try await channel.deliver(message, to: port2) / 100 == 2)
        }
        try await eventually("every message answered") {
            for customer in Self.customers where try await channel.texts(to: customer, port: port2).count < expected.count { return false }
            return true
        }
        try await ServedChannel.settle(state)
        for customer in Self.customers {
            let sent = try await channel.texts(to: customer, port: port2)
            #expect(sent.sorted() == expected.sorted(), "customer \(customer): \(sent)")
        }
        if channel.redelivers {
            // Every message stored before the kill was delivered again: each a duplicate.
            let stored = 2 * Self.customers.count + acknowledged.current.count
            #expect(try await state.statistics().duplicates >= stored, "the redeliveries were recognised")
        }
    }
}
