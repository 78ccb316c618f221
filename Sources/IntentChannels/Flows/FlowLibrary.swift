import IntentCore

/// The flows in service and the words that end a run, as read from the flow file.
package struct FlowSet: Sendable, Equatable {
    package var flows: [Flow]
    /// A message that is one of these (normalised) ends the customer's run instead of answering it.
    package var stopWords: [String]

    /// Said when a stop word ends a run.
    package var stopReply: String
    /// What the operator should know but that does not stop the file from loading (a webhook
    /// step whose URL setting is not set), one text each, naming the file and line.
    package var warnings: [String]

    package static let defaultStopWords = ["stop", "cancel", "quit", "exit", "停止", "取消", "退出"]
    package static let defaultStopReply = "OK, stopped. Ask me anything. 好的，已停止，请问还有什么可以帮您？"
    package static let none = FlowSet(flows: [])

    package init(
        flows: [Flow], stopWords: [String] = FlowSet.defaultStopWords, stopReply: String = FlowSet.defaultStopReply, warnings: [String] = []
    ) {
        self.flows = flows
        self.stopWords = stopWords
        self.stopReply = stopReply
        self.warnings = warnings
    }
}

/// The flow set in service, replaced whole when the flow file is read again (with the corpus, on
/// a reload): a message is handled with the set it started with.
package final class FlowLibrary: Sendable {
    private let state: Locked<(set: FlowSet, engine: FlowEngine)>

    package init(_ set: FlowSet = .none) {
        state = Locked((set, FlowEngine(set.flows)))
    }

    package var current: (set: FlowSet, engine: FlowEngine) { state.current }

    package func replace(with set: FlowSet) {
        let engine = FlowEngine(set.flows)
        state.withLock { $0 = (set, engine) }
    }
}
