/// A flow's figures (the seed's panel), read from the channel's persisted counters: how many
/// runs it had and with how many customers, how many engaged (answered a step), completed,
/// were abandoned or handed over, and per step how many runs entered and left it there and which
/// options were picked, so that the owner sees where customers drop out.
package struct FlowFigures: Sendable, Equatable, Encodable {
    package struct Node: Sendable, Equatable, Encodable {
        package var entered = 0
        package var customers = 0
        /// Runs that ended or timed out at this step.
        package var left = 0
        /// By option id, for buttons and lists.
        package var options: [String: Int]?
    }

    package var id: String
    package var name: String
    package var triggered = 0
    package var customers = 0
    package var engaged = 0
    package var completed = 0
    package var abandoned = 0
    package var handedOver = 0
    package var nodes: [String: Node] = [:]
    /// Step ids as written, for drawing.
    package var order: [String]

    enum CodingKeys: String, CodingKey {
        case id, name, triggered, customers, engaged, completed, abandoned, nodes, order
        case handedOver = "handed_over"
    }

    /// The figures of every flow in `flows`, from the channel's statistics (`Trigger.flow` keys).
    package static func of(_ flows: [Flow], in statistics: ChannelStatistics) -> [FlowFigures] {
        flows.sorted { $0.id < $1.id }.map { flow in
            func usage(_ figure: String) -> ChannelStatistics.Usage {
                statistics.triggers[Trigger.flow(flow.id, figure).key] ?? ChannelStatistics.Usage()
            }
            var figures = FlowFigures(id: flow.id, name: flow.name, order: flow.order)
            let triggered = usage("triggered")
            figures.triggered = triggered.count
            figures.customers = triggered.customers
            figures.engaged = usage("engaged").count
            figures.completed = usage(FlowRun.Status.completed.rawValue).count
            figures.abandoned = usage(FlowRun.Status.abandoned.rawValue).count
            figures.handedOver = usage(FlowRun.Status.handedOver.rawValue).count
            for id in flow.order {
                let entered = usage("step:\(id):entered")
                var node = Node(entered: entered.count, customers: entered.customers, left: usage("step:\(id):left").count)
                if case .choice(let choice)? = flow.steps[id]?.kind {
                    node.options = Dictionary(uniqueKeysWithValues: choice.options.map { ($0.id, usage("step:\(id):option:\($0.id)").count) })
                }
                figures.nodes[id] = node
            }
            return figures
        }
    }
}
