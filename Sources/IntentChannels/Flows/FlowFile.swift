import Foundation
package import IntentCore
import Yams

/// Reads and checks the flow file (`flows.yaml` in the corpus directory, or the `flows` setting):
///
/// ```yaml
/// stop: ["stop", "cancel", "停止"]                # optional: the words that end a run
/// stop_reply: "OK, stopped."                    # optional: what the bot says then
/// flows:
///   wholesale:
///     name: Wholesale enquiry
///     trigger: {keyword: ["wholesale", "批发"]}     # or {entry: <faq id>} | {first_message: true} | {api: true}
///     start: ask_name
///     steps:
///       ask_name: {ask: "May I have your name?", save: name, next: send}
///       send:     {webhook: {setting: lead_capture_url}, next: done, error: done}
///       done:     {say: "Thank you {{name}}!", end: true}
/// ```
///
/// Every problem is reported at once, each as `file:line: field: what to do`: unknown step
/// targets, unreachable steps, loops that never wait for the customer, variables used before any
/// step saves them, Meta's limits on interactive messages, unknown URL settings, and (with
/// `rules`) trigger keywords an FAQ rule already claims. A webhook step naming a URL setting that
/// is not set is no problem: the step keeps an empty URL (a run reaching it goes to its `error`
/// step) and the set carries a warning naming the setting.
///
/// This does blocking file I/O: from Swift concurrency, call `load` through `BlockingIO.run`.
package enum FlowFile {
    package typealias Invalid = AutomationFile.Invalid

    /// The settings a webhook step can name with `{setting: NAME}` instead of a URL.
    package static let urlSettings = ["order_lookup_url", "lead_capture_url"]

    /// - Parameters:
    ///   - rules: the corpus's keyword rules; a trigger keyword a `before` rule claims is a problem.
    ///   - urls: the URL settings' values by name (`order_lookup_url`); a missing or empty one is unset.
    package static func load(path: String, rules: [KeywordRule] = [], urls: [String: String] = [:]) throws -> FlowSet {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Invalid(problems: ["\(path): cannot be read; check the flows setting"])
        }
        guard let text = String(data: data, encoding: .utf8) else { throw Invalid(problems: ["\(path): not UTF-8 text"]) }
        return try parse(text, file: path, rules: rules, urls: urls)
    }

    package static func parse(_ text: String, file: String, rules: [KeywordRule] = [], urls: [String: String] = [:]) throws -> FlowSet {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw Invalid(problems: ["\(file): malformed YAML: \(error)"])
        }
        guard let root else { return FlowSet(flows: []) }
        var reader = AutomationFile.Reader(file: file)
        let top = reader.mapping(root, "flows file", known: ["flows", "stop", "stop_reply"])
        let stopReply = top["stop_reply"].flatMap { reader.string($0, "stop_reply") } ?? FlowSet.defaultStopReply
        var stopWords = FlowSet.defaultStopWords
        if let node = top["stop"] {
            if let list = node.sequence, list.isEmpty {
                stopWords = []
            } else {
                stopWords = reader.strings(node, "stop")
                if stopWords.contains(where: { TextNormalizer.normalize($0).isEmpty }) {
                    reader.problem(node, "stop", "every stop word needs a letter or digit")
                }
            }
        }
        guard let flowsNode = top["flows"] else {
            if root.mapping == nil || !reader.problems.isEmpty {
                reader.problem(root, "flows", "expected a mapping with a 'flows' mapping of flow ids to flows")
                throw Invalid(problems: reader.problems)
            }
            return FlowSet(flows: [], stopWords: stopWords, stopReply: stopReply)
        }
        guard let mapping = flowsNode.mapping else {
            reader.problem(flowsNode, "flows", "expected a mapping of flow ids to flows")
            throw Invalid(problems: reader.problems)
        }
        var context = StepContext(urls: urls)
        var flows: [Flow] = []
        for (key, node) in mapping {
            guard let id = key.string, !id.isEmpty else {
                reader.problem(key, "flows", "a flow id must be a text")
                continue
            }
            if let flow = readFlow(id, key: key, node, &reader, &context) { flows.append(flow) }
        }
        let ids = Set(flows.map(\.id))
        for flow in flows { check(flow, flowIDs: ids, rules: rules, &reader) }
        if !reader.problems.isEmpty { throw Invalid(problems: reader.problems) }
        return FlowSet(flows: flows, stopWords: stopWords, stopReply: stopReply, warnings: context.warnings)
    }

    /// What reading steps needs beyond the YAML: the URL settings, and the warnings it finds.
    private struct StepContext {
        var urls: [String: String]
        var warnings: [String] = []
    }

    private static let stepKinds = ["say", "ask", "buttons", "list", "branch", "tag", "untag", "set", "webhook", "handover", "goto", "wait", "end"]

    private static func readFlow(
        _ id: String, key: Node, _ node: Node, _ reader: inout AutomationFile.Reader, _ context: inout StepContext
    ) -> Flow? {
        let field = "flows.\(id)"
        let fields = reader.mapping(node, field, known: ["name", "trigger", "start", "steps", "interrupts"])
        let name = fields["name"].flatMap { reader.string($0, "\(field).name") } ?? id
        let interrupts = fields["interrupts"].flatMap { reader.bool($0, "\(field).interrupts") } ?? false
        var trigger: Flow.Trigger?
        if let node = fields["trigger"] {
            let kinds = reader.mapping(node, "\(field).trigger", known: ["keyword", "entry", "first_message", "api"])
            if kinds.count != 1 {
                reader.problem(node, "\(field).trigger", "give exactly one of keyword, entry, first_message, api")
            } else if let words = kinds["keyword"] {
                let list = reader.strings(words, "\(field).trigger.keyword")
                if list.contains(where: { TextNormalizer.normalize($0).isEmpty }) {
                    reader.problem(words, "\(field).trigger.keyword", "every keyword needs a letter or digit")
                }
                trigger = .keywords(list)
            } else if let entry = kinds["entry"] {
                trigger = reader.string(entry, "\(field).trigger.entry").map { .entry($0) }
            } else if let flag = kinds["first_message"] {
                if let on = reader.bool(flag, "\(field).trigger.first_message") {
                    if on { trigger = .firstMessage } else { reader.problem(flag, "\(field).trigger.first_message", "use true, or another trigger") }
                }
            } else if let flag = kinds["api"] {
                if let on = reader.bool(flag, "\(field).trigger.api") {
                    if on { trigger = .api } else { reader.problem(flag, "\(field).trigger.api", "use true, or another trigger") }
                }
            }
        } else {
            reader.problem(
                node, "\(field).trigger",
                "missing; say what starts the flow: {keyword: [...]}, {entry: <faq id>}, {first_message: true} or {api: true}")
        }
        let start = fields["start"].flatMap { reader.string($0, "\(field).start") }
        if fields["start"] == nil { reader.problem(node, "\(field).start", "missing; name the first step") }
        var steps: [String: Flow.Step] = [:]
        var order: [String] = []
        if let stepsNode = fields["steps"] {
            if let mapping = stepsNode.mapping {
                for (key, value) in mapping {
                    guard let stepID = key.string, !stepID.isEmpty else {
                        reader.problem(key, "\(field).steps", "a step id must be a text")
                        continue
                    }
                    if let step = readStep(stepID, value, field: "\(field).steps.\(stepID)", &reader, &context) {
                        steps[stepID] = step
                        order.append(stepID)
                    }
                }
            } else {
                reader.problem(stepsNode, "\(field).steps", "expected a mapping of step ids to steps")
            }
        } else {
            reader.problem(node, "\(field).steps", "missing; give the flow its steps")
        }
        guard let trigger, let start else { return nil }
        return Flow(
            id: id, name: name, trigger: trigger, interrupts: interrupts, start: start, steps: steps, order: order, line: key.mark?.line ?? 1)
    }

    private static func readStep(
        _ id: String, _ node: Node, field: String, _ reader: inout AutomationFile.Reader, _ context: inout StepContext
    ) -> Flow.Step? {
        let known =
            stepKinds + [
                "next", "save", "expect", "invalid", "retries", "else", "timeout_minutes", "timeout", "options", "branches", "error", "minutes",
            ]
        let fields = reader.mapping(node, field, known: known)
        // `end: true` beside another kind ends the run after it; alone it is the kind.
        var kinds = stepKinds.filter { fields[$0] != nil }
        if kinds.count > 1 { kinds.removeAll { $0 == "end" } }
        guard kinds.count == 1, let kind = kinds.first else {
            reader.problem(
                node, field,
                "a step is exactly one of \(stepKinds.joined(separator: ", ")); found \(kinds.isEmpty ? "none" : kinds.joined(separator: ", "))")
            return nil
        }
        let line = node.mark?.line ?? 1
        func text(_ key: String) -> String? { fields[key].flatMap { reader.string($0, "\(field).\(key)") } }
        func required(_ key: String) -> String? {
            if fields[key] == nil { reader.problem(node, "\(field).\(key)", "missing") }
            return text(key)
        }
        func minutes(_ key: String, in range: ClosedRange<Double> = 1...10_080) -> Int? {
            fields[key].flatMap { reader.number($0, "\(field).\(key)", in: range) }.map { Int($0) }
        }
        let next = text("next")
        let ends = fields["end"].flatMap { reader.bool($0, "\(field).end") } ?? false
        // `say`, `tag`, `untag`, `set` go on to `next`, or end the run with `end: true`.
        func onward() -> String? {
            if next == nil && !ends && kind != "end" {
                reader.problem(node, "\(field).next", "missing; name the next step, or end the run with end: true")
            }
            return next
        }
        let result: Flow.Kind
        switch kind {
        case "say":
            guard let say = text("say") else { return nil }
            result = .say(say, next: onward())
        case "ask":
            guard let question = text("ask"), let save = required("save"), let next = required("next") else { return nil }
            var expectation = Flow.Expectation.text
            if let node = fields["expect"] {
                if let pattern = node.mapping?["pattern"] {
                    if let regex = reader.string(pattern, "\(field).expect.pattern") {
                        if (try? NSRegularExpression(pattern: regex)) == nil {
                            reader.problem(pattern, "\(field).expect.pattern", "'\(regex)' is not a regular expression")
                        }
                        expectation = .pattern(regex)
                    }
                } else if let name = reader.string(node, "\(field).expect") {
                    switch name {
                    case "text": expectation = .text
                    case "email": expectation = .email
                    case "phone": expectation = .phone
                    case "number": expectation = .number
                    case "date": expectation = .date
                    default: reader.problem(node, "\(field).expect", "'\(name)' is not one of text, email, phone, number, date, {pattern: REGEX}")
                    }
                }
            }
            let retries = fields["retries"].flatMap { reader.number($0, "\(field).retries", in: 0...10) }.map { Int($0) } ?? 2
            result = .ask(
                Flow.Ask(
                    text: question, save: save, expect: expectation, invalid: text("invalid"), retries: retries, otherwise: text("else"),
                    timeoutMinutes: minutes("timeout_minutes"), timeout: text("timeout"), next: next))
        case "buttons", "list":
            guard let body = text(kind) else { return nil }
            let style: Flow.Choice.Style = kind == "buttons" ? .buttons : .list
            var options: [Flow.Option] = []
            if let node = fields["options"], let mapping = node.mapping {
                for (key, value) in mapping {
                    guard let id = key.string, let title = reader.string(value, "\(field).options.\(key.string ?? "?")") else { continue }
                    options.append(Flow.Option(id: id, title: title))
                }
            } else {
                reader.problem(node, "\(field).options", "missing; give the options as {id: title, ...}")
            }
            var branches: [String: String] = [:]
            if let node = fields["branches"] {
                for (key, value) in reader.mapping(node, "\(field).branches", known: options.map(\.id)) {
                    if let target = reader.string(value, "\(field).branches.\(key)") { branches[key] = target }
                }
            }
            if next == nil && options.contains(where: { branches[$0.id] == nil }) {
                reader.problem(node, "\(field).next", "missing; options without a branch go to next")
            }
            result = .choice(
                Flow.Choice(
                    style: style, text: body, options: options, save: text("save"), branches: branches, next: next,
                    timeoutMinutes: minutes("timeout_minutes"), timeout: text("timeout")))
        case "branch":
            var cases: [Flow.BranchCase] = []
            if let list = fields["branch"]?.sequence {
                for item in list {
                    let parts = reader.mapping(item, "\(field).branch", known: ["if", "next"])
                    guard let condition = parts["if"].flatMap({ reader.string($0, "\(field).branch.if") }),
                        let target = parts["next"].flatMap({ reader.string($0, "\(field).branch.next") })
                    else {
                        if parts["if"] == nil || parts["next"] == nil { reader.problem(item, "\(field).branch", "each case needs if and next") }
                        continue
                    }
                    do {
                        cases.append(Flow.BranchCase(condition: try FlowCondition.parse(condition), next: target))
                    } catch {
                        reader.problem(parts["if"]!, "\(field).branch.if", "'\(condition)': \(error)")
                    }
                }
            } else {
                reader.problem(node, "\(field).branch", "expected a list of {if: CONDITION, next: STEP}")
            }
            guard let otherwise = required("else") else { return nil }
            result = .branch(cases, otherwise: otherwise)
        case "tag", "untag":
            let tags = reader.strings(fields[kind]!, "\(field).\(kind)")
            result = kind == "tag" ? .tag(tags, next: onward()) : .untag(tags, next: onward())
        case "set":
            var values: [String: String] = [:]
            if let mapping = fields["set"]?.mapping {
                for (key, value) in mapping {
                    if let name = key.string, let text = reader.string(value, "\(field).set.\(name)") { values[name] = text }
                }
            } else {
                reader.problem(node, "\(field).set", "expected a mapping of contact attributes to values")
            }
            result = .set(values, next: onward())
        case "webhook":
            let target = fields["webhook"]!
            let url: String?
            if target.mapping != nil {
                url = settingURL(target, field: "\(field).webhook", &reader, &context)
            } else {
                url = text("webhook")
                if let url, !isHTTPURL(url) { reader.problem(target, "\(field).webhook", "'\(url)' is not an http(s) URL") }
            }
            guard let url, let next = required("next"), let error = required("error") else { return nil }
            result = .webhook(url: url, next: next, error: error)
        case "handover":
            guard let say = text("handover") else { return nil }
            result = .handover(say)
        case "goto":
            guard let flow = text("goto") else { return nil }
            result = .goto(flow: flow)
        case "wait":
            guard let minutes = minutes("wait") ?? minutes("minutes"), let next = required("next") else {
                reader.problem(node, "\(field).wait", "give the minutes to wait (1-10080)")
                return nil
            }
            result = .wait(minutes: minutes, next: next)
        default:
            result = .end
        }
        return Flow.Step(id: id, kind: result, line: line)
    }

    /// An absolute `http` or `https` URL with a host.
    package static func isHTTPURL(_ text: String) -> Bool {
        URL(string: text).map { ["http", "https"].contains($0.scheme?.lowercased() ?? "") && $0.host?.isEmpty == false } == true
    }

    /// `{setting: NAME}`: the URL setting's value; "" when the setting is not set (with a
    /// warning), or when the step names no known setting (with a problem: the step is kept, so
    /// that its targets are checked as usual).
    private static func settingURL(_ node: Node, field: String, _ reader: inout AutomationFile.Reader, _ context: inout StepContext) -> String {
        let fields = reader.mapping(node, field, known: ["setting"])
        guard let nameNode = fields["setting"] else {
            reader.problem(node, field, "give a URL, or {setting: NAME} with NAME one of \(urlSettings.joined(separator: ", "))")
            return ""
        }
        guard let name = reader.string(nameNode, "\(field).setting") else { return "" }
        guard urlSettings.contains(name) else {
            reader.problem(nameNode, "\(field).setting", "'\(name)' is not a URL setting; use one of \(urlSettings.joined(separator: ", "))")
            return ""
        }
        guard let url = context.urls[name], !url.isEmpty else {
            context.warnings.append(
                "\(reader.file):\(nameNode.mark?.line ?? 1): \(field): \(name) is not set, so this step goes to its error step; set \(name) (INTENT_\(name.uppercased())) to the URL to call"
            )
            return ""
        }
        if !isHTTPURL(url) {
            reader.problem(nameNode, "\(field).setting", "\(name) is '\(url)', not an http(s) URL; correct the setting")
            return ""
        }
        return url
    }

    /// What no single step can see: targets, reachability, loops, variables, limits, keywords.
    private static func check(_ flow: Flow, flowIDs: Set<String>, rules: [KeywordRule], _ reader: inout AutomationFile.Reader) {
        func problem(_ line: Int, _ field: String, _ message: String) {
            reader.problems.append("\(reader.file):\(line): flows.\(flow.id).\(field): \(message)")
        }
        guard flow.steps[flow.start] != nil else {
            problem(flow.line, "start", "'\(flow.start)' is not a step of the flow; steps: \(flow.order.joined(separator: ", "))")
            return
        }
        for id in flow.order {
            let step = flow.steps[id]!
            for target in step.kind.targets where flow.steps[target] == nil {
                problem(step.line, "steps.\(id)", "'\(target)' is not a step of the flow; steps: \(flow.order.joined(separator: ", "))")
            }
            if case .goto(let other) = step.kind, !flowIDs.contains(other) {
                problem(step.line, "steps.\(id).goto", "'\(other)' is not a flow of the file")
            }
            checkLimits(step, problem)
        }
        // Reachable from the start.
        var reached: Set<String> = [flow.start]
        var frontier = [flow.start]
        while let id = frontier.popLast() {
            for target in flow.steps[id]?.kind.targets ?? [] where flow.steps[target] != nil && reached.insert(target).inserted {
                frontier.append(target)
            }
        }
        for id in flow.order where !reached.contains(id) {
            problem(flow.steps[id]!.line, "steps.\(id)", "unreachable: no step leads here from '\(flow.start)'; link it or remove it")
        }
        // A cycle through steps that never wait would run forever without the customer.
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        func visit(_ id: String) -> [String]? {
            guard let step = flow.steps[id], !step.kind.waits else { return nil }
            if state[id] == 2 { return nil }
            if state[id] == 1 { return [id] }
            state[id] = 1
            defer { state[id] = 2 }
            for target in step.kind.targets {
                if let cycle = visit(target) { return cycle.count > 1 && cycle.first == cycle.last ? cycle : [id] + cycle }
            }
            return nil
        }
        for id in flow.order where state[id] == nil {
            if let cycle = visit(id) {
                problem(
                    flow.steps[cycle.last!]!.line, "steps.\(cycle.last!)",
                    "a loop (\(cycle.joined(separator: " → "))) never waits for the customer; put an ask, buttons, list or wait in it")
                break
            }
        }
        checkVariables(flow, reached: reached, problem)
        if case .keywords(let words) = flow.trigger {
            for word in words {
                if let rule = rules.first(where: { $0.stage == .before && $0.matches(normalized: TextNormalizer.normalize(word)) }) {
                    problem(
                        flow.line, "trigger.keyword",
                        "'\(word)' is already claimed by the rule '\(rule.id)', which answers first; use another keyword")
                }
            }
        }
    }

    /// WhatsApp's limits on interactive messages (`InteractiveLimits`, lengths in Unicode scalars).
    private static func checkLimits(_ step: Flow.Step, _ problem: (Int, String, String) -> Void) {
        guard case .choice(let choice) = step.kind else { return }
        typealias Limits = InteractiveLimits
        let field = "steps.\(step.id)"
        let buttons = choice.style == .buttons
        let (most, title, idLimit) =
            buttons ? (Limits.maxButtons, Limits.maxButtonTitle, Limits.maxButtonID) : (Limits.maxListRows, Limits.maxRowTitle, Limits.maxRowID)
        if choice.options.isEmpty || choice.options.count > most {
            problem(
                step.line, "\(field).options",
                "\(choice.options.count) options; WhatsApp \(choice.style.rawValue) take 1 to \(most)\(buttons ? " (use a list for up to 10)" : "")")
        }
        for option in choice.options where Limits.length(of: option.title) > title {
            problem(
                step.line, "\(field).options.\(option.id)",
                "'\(option.title)' is \(Limits.length(of: option.title)) characters; WhatsApp allows \(title)")
        }
        for option in choice.options where Limits.length(of: option.id) > idLimit {
            problem(step.line, "\(field).options", "an option id is longer than \(idLimit) characters")
        }
        if Limits.length(of: choice.text) > Limits.maxInteractiveBody {
            problem(
                step.line, "\(field).\(choice.style.rawValue)",
                "\(Limits.length(of: choice.text)) characters; an interactive message's text takes at most \(Limits.maxInteractiveBody)")
        }
    }

    /// Every `{{variable}}` and condition name must be saved on every path that reaches it
    /// (`contact.*` and `webhook.*` come from the contact and the last webhook).
    private static func checkVariables(_ flow: Flow, reached: Set<String>, _ problem: (Int, String, String) -> Void) {
        // A step saves on the ways its answer leads (not `else` after the last retry, nor `timeout`).
        func saves(_ kind: Flow.Kind, toward target: String) -> Set<String> {
            switch kind {
            case .ask(let ask): target == ask.next ? [ask.save] : []
            case .choice(let choice):
                (target == choice.next || choice.branches.values.contains(target)) ? choice.save.map { [$0] } ?? [] : []
            default: []
            }
        }
        func saves(_ kind: Flow.Kind) -> Set<String> { Set(kind.targets.flatMap { saves(kind, toward: $0) }) }
        // Must-analysis: what is saved on every path into a step (the start: nothing).
        var into: [String: Set<String>] = [:]
        let all = Set(flow.order.flatMap { saves(flow.steps[$0]!.kind) })
        for id in flow.order { into[id] = all }
        into[flow.start] = []
        var changed = true
        while changed {
            changed = false
            for id in flow.order where reached.contains(id) {
                let kind = flow.steps[id]!.kind
                for target in kind.targets where flow.steps[target] != nil && target != flow.start {
                    let out = into[id, default: []].union(saves(kind, toward: target))
                    let narrowed = into[target, default: all].intersection(out)
                    if narrowed != into[target] {
                        into[target] = narrowed
                        changed = true
                    }
                }
            }
        }
        for id in flow.order where reached.contains(id) {
            let step = flow.steps[id]!
            let available = into[id] ?? []
            for name in used(step.kind) where !name.hasPrefix("contact.") && !name.hasPrefix("webhook.") && !available.contains(name) {
                problem(
                    step.line, "steps.\(id)", "uses '\(name)' before a step saves it on every way here; save it earlier (ask or buttons with save:)")
            }
        }
    }

    /// The names a step reads: `{{name}}` in its texts, and its conditions' variables.
    static func used(_ kind: Flow.Kind) -> Set<String> {
        switch kind {
        case .say(let text, _), .handover(let text): FlowTemplate.names(in: text)
        case .ask(let ask): FlowTemplate.names(in: ask.text).union(ask.invalid.map(FlowTemplate.names(in:)) ?? [])
        case .choice(let choice): FlowTemplate.names(in: choice.text)
        case .branch(let cases, _): cases.reduce(into: Set<String>()) { $0.formUnion($1.condition.variables) }
        case .set(let values, _): values.values.reduce(into: Set<String>()) { $0.formUnion(FlowTemplate.names(in: $1)) }
        default: []
        }
    }
}

/// `{{name}}` placeholders in a flow's texts.
package enum FlowTemplate {
    package static func names(in text: String) -> Set<String> {
        var names: Set<String> = []
        var rest = text[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            names.insert(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
        }
        return names
    }

    /// The text with each `{{name}}` replaced by its value (empty when it has none).
    package static func render(_ text: String, _ values: [String: String]) -> String {
        var out = ""
        var rest = text[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            out += rest[..<open.lowerBound]
            out += values[rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)] ?? ""
            rest = rest[close.upperBound...]
        }
        return out + rest
    }
}
