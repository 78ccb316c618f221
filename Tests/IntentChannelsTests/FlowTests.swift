import Foundation
import IntentCore
import Testing

@testable import IntentChannels

/// The flow file and the engine that runs it, without a channel: parsing, every check with its
/// line, and runs driven message by message with an injected clock.
@Suite struct FlowTests {
    static let wholesale = """
        flows:
          wholesale:
            name: Wholesale enquiry
            trigger: {keyword: ["wholesale", "批发"]}
            start: ask_name
            steps:
              ask_name:  {ask: "May I have your name?", save: name, next: ask_email}
              ask_email: {ask: "Your e-mail address?", save: email, expect: email, invalid: "That does not look like an e-mail address.", next: pick}
              pick:      {buttons: "Which products?", options: {bags: Bags, shoes: Shoes, other: Something else}, save: category, next: ask_qty}
              ask_qty:   {ask: "How many pieces?", save: qty, expect: number, next: size}
              size:
                branch:
                  - {if: "qty >= 100 and category != 'other'", next: crm}
                  - {if: "tag('vip')", next: crm}
                else: small
              small:     {say: "For fewer than 100 pieces, order on the shop, {{name}}.", end: true}
              crm:       {webhook: "http://127.0.0.1:9000/leads", next: done, error: sorry}
              done:      {say: "Thank you {{name}}! Our sales team will write to {{email}} within a day ({{webhook.ticket}}).", end: true}
              sorry:     {handover: "Let me pass you to a colleague."}
        """

    func parse(_ text: String, rules: [KeywordRule] = []) throws -> [Flow] {
        try FlowFile.parse(text, file: "flows.yaml", rules: rules).flows
    }

    func problems(_ text: String, rules: [KeywordRule] = [], urls: [String: String] = [:]) -> [String] {
        do {
            _ = try FlowFile.parse(text, file: "flows.yaml", rules: rules, urls: urls)
            return []
        } catch {
            return (error as? FlowFile.Invalid)?.problems ?? ["\(error)"]
        }
    }

    @Test func readsTheFlowFile() throws {
        let flows = try parse(Self.wholesale)
        let flow = try #require(flows.first)
        #expect(flows.count == 1 && flow.id == "wholesale" && flow.name == "Wholesale enquiry")
        #expect(flow.trigger == .keywords(["wholesale", "批发"]) && flow.start == "ask_name")
        #expect(flow.order == ["ask_name", "ask_email", "pick", "ask_qty", "size", "small", "crm", "done", "sorry"])
        guard case .choice(let pick)? = flow.steps["pick"]?.kind else { throw Failure("pick is not a choice") }
        #expect(pick.style == .buttons && pick.options.map(\.title) == ["Bags", "Shoes", "Something else"])
        guard case .ask(let email)? = flow.steps["ask_email"]?.kind else { throw Failure("ask_email is not an ask") }
        #expect(email.expect == .email && email.retries == 2 && email.next == "pick")
        #expect(flow.steps["size"]?.line == 12)
    }

    @Test func everyProblemIsReportedWithItsLine() {
        let text = """
            flows:
              broken:
                trigger: {keyword: ["人工"]}
                start: one
                steps:
                  one:   {ask: "Name?", save: name, next: two}
                  two:   {say: "Hi {{nmae}}", next: nowhere}
                  loop_a: {say: "a", next: loop_b}
                  loop_b: {say: "b", next: loop_a}
                  menu:  {buttons: "Pick", options: {a: A, b: B, c: C, d: A title far longer than twenty}, next: one}
                  cond:  {branch: [{if: "qty >>= 3", next: one}], else: one}
              orphan:
                start: x
                steps:
                  x: {goto: missing}
            """
        let rule = try! KeywordRule(id: "human", mode: .containsAny, patterns: ["人工"], reply: .answer("One moment."), stage: .before)
        let found = problems(text, rules: [rule])
        let expected = [
            "flows.yaml:11: flows.broken.steps.cond.branch.if: 'qty >>= 3': a comparison needs a name or a value after its operator",
            "flows.yaml:13: flows.orphan.trigger: missing; say what starts the flow: {keyword: [...]}, {entry: <faq id>}, {first_message: true} or {api: true}",
            "flows.yaml:7: flows.broken.steps.two: 'nowhere' is not a step of the flow; steps: one, two, loop_a, loop_b, menu, cond",
            "flows.yaml:10: flows.broken.steps.menu.options: 4 options; WhatsApp buttons take 1 to 3 (use a list for up to 10)",
            "flows.yaml:10: flows.broken.steps.menu.options.d: 'A title far longer than twenty' is 30 characters; WhatsApp allows 20",
            "flows.yaml:8: flows.broken.steps.loop_a: unreachable: no step leads here from 'one'; link it or remove it",
            "flows.yaml:9: flows.broken.steps.loop_b: unreachable: no step leads here from 'one'; link it or remove it",
            "flows.yaml:10: flows.broken.steps.menu: unreachable: no step leads here from 'one'; link it or remove it",
            "flows.yaml:11: flows.broken.steps.cond: unreachable: no step leads here from 'one'; link it or remove it",
            "flows.yaml:8: flows.broken.steps.loop_a: a loop (loop_a → loop_b → loop_a) never waits for the customer; put an ask, buttons, list or wait in it",
            "flows.yaml:7: flows.broken.steps.two: uses 'nmae' before a step saves it on every way here; save it earlier (ask or buttons with save:)",
            "flows.yaml:2: flows.broken.trigger.keyword: '人工' is already claimed by the rule 'human', which answers first; use another keyword",
        ]
        for problem in expected { #expect(found.contains(problem), "missing: \(problem)\nfound:\n\(found.joined(separator: "\n"))") }
        #expect(found.count == expected.count, "\(found.joined(separator: "\n"))")
    }

    @Test func stopWordsComeFromTheFileOrTheDefault() throws {
        let flow = "flows:\n  f:\n    trigger: {api: true}\n    start: s\n    steps:\n      s: {say: Hi, end: true}\n"
        #expect(try FlowFile.parse(flow, file: "flows.yaml").stopWords == FlowSet.defaultStopWords)
        let own = try FlowFile.parse("stop: [\"enough\", \"够了\"]\n" + flow, file: "flows.yaml")
        #expect(own.stopWords == ["enough", "够了"] && own.flows.count == 1 && own.warnings.isEmpty)
        #expect(try FlowFile.parse("stop: []\n" + flow, file: "flows.yaml").stopWords == [])
        #expect(try FlowFile.parse("stop: []\n", file: "flows.yaml") == FlowSet(flows: [], stopWords: []))
        #expect(problems("stop: [\"!!\"]\n" + flow) == ["flows.yaml:1: stop: every stop word needs a letter or digit"])
        #expect(problems("stop: {a: b}\n" + flow) == ["flows.yaml:1: stop: expected a list of texts"])
    }

    static let lookup = """
        flows:
          order:
            trigger: {entry: order_status}
            start: ask
            steps:
              ask:    {ask: "Order number?", save: order, next: lookup}
              lookup: {webhook: {setting: order_lookup_url}, next: status, error: sorry}
              status: {say: "Your order is {{webhook.status}}.", end: true}
              sorry:  {handover: "Let me pass you to a colleague."}
        """

    @Test func aWebhookStepTakesAURLSetting() throws {
        let set = try FlowFile.parse(Self.lookup, file: "flows.yaml", urls: ["order_lookup_url": "https://erp.example/orders"])
        #expect(set.flows.first?.steps["lookup"]?.kind == .webhook(url: "https://erp.example/orders", next: "status", error: "sorry"))
        #expect(set.warnings.isEmpty)
        // Known but unset (missing or empty): no problem; the URL stays empty and a warning names the setting.
        for urls in [[:], ["order_lookup_url": ""], ["lead_capture_url": "https://crm.example/leads"]] {
            let unset = try FlowFile.parse(Self.lookup, file: "flows.yaml", urls: urls)
            #expect(unset.flows.first?.steps["lookup"]?.kind == .webhook(url: "", next: "status", error: "sorry"))
            #expect(
                unset.warnings == [
                    "flows.yaml:7: flows.order.steps.lookup.webhook: order_lookup_url is not set, so this step goes to its error step; set order_lookup_url (INTENT_ORDER_LOOKUP_URL) to the URL to call"
                ])
        }
        // Unknown setting, a setting that is not a URL, a mapping without a setting, a bad literal URL.
        #expect(
            problems(Self.lookup.replacingOccurrences(of: "order_lookup_url", with: "order_url"))
                == [
                    "flows.yaml:7: flows.order.steps.lookup.webhook.setting: 'order_url' is not a URL setting; use one of order_lookup_url, lead_capture_url"
                ])
        #expect(
            problems(Self.lookup, urls: ["order_lookup_url": "erp.example/orders"])
                == [
                    "flows.yaml:7: flows.order.steps.lookup.webhook.setting: order_lookup_url is 'erp.example/orders', not an http(s) URL; correct the setting"
                ])
        #expect(
            problems(Self.lookup.replacingOccurrences(of: "{setting: order_lookup_url}", with: "{url: x}"))
                == [
                    "flows.yaml:7: flows.order.steps.lookup.webhook.url: unknown key; known: setting",
                    "flows.yaml:7: flows.order.steps.lookup.webhook: give a URL, or {setting: NAME} with NAME one of order_lookup_url, lead_capture_url",
                ])
        #expect(
            problems(Self.lookup.replacingOccurrences(of: "{setting: order_lookup_url}", with: "\"ftp://erp.example\""))
                == ["flows.yaml:7: flows.order.steps.lookup.webhook: 'ftp://erp.example' is not an http(s) URL"])
    }

    @Test func theSampleFlowsLoadAgainstTheSampleCorpus() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let corpus = try CorpusLoader.load(root + "/corpus")
        let urls = ["order_lookup_url": "https://erp.example/orders", "lead_capture_url": "https://crm.example/leads"]
        let set = try FlowFile.load(path: root + "/corpus/flows.yaml", rules: corpus.rules, urls: urls)
        #expect(set.warnings.isEmpty)
        #expect(set.stopWords == FlowSet.defaultStopWords)
        #expect(set.flows.map(\.id) == ["order_status", "wholesale_lead", "recommend"])
        let ids = Set(corpus.entries.map(\.id))
        for flow in set.flows {
            if case .entry(let entry) = flow.trigger { #expect(ids.contains(entry), "\(flow.id) names \(entry)") }
        }
        let kinds = set.flows.flatMap { $0.steps.values.map(\.kind) }
        #expect(kinds.contains { if case .choice(let c) = $0 { c.style == .list && (4...6).contains(c.options.count) } else { false } })
        #expect(kinds.contains { if case .choice(let c) = $0 { c.style == .buttons } else { false } })
        #expect(kinds.contains { if case .branch = $0 { true } else { false } })
        #expect(kinds.filter { if case .webhook = $0 { true } else { false } }.count == 2)
        // Without the URL settings the file still loads; each webhook step is a warning.
        let unset = try FlowFile.load(path: root + "/corpus/flows.yaml", rules: corpus.rules)
        #expect(unset.warnings.count == 2)
        #expect(unset.warnings.contains { $0.contains("order_lookup_url is not set") })
        #expect(unset.warnings.contains { $0.contains("lead_capture_url is not set") })
    }

    @Test func aVariableSavedOnOnlyOneBranchIsNotSavedForTheJoin() {
        let text = """
            flows:
              f:
                trigger: {api: true}
                start: pick
                steps:
                  pick: {buttons: "Pick", options: {a: A, b: B}, branches: {a: ask}, next: join}
                  ask:  {ask: "Name?", save: name, next: join}
                  join: {say: "Hi {{name}}", end: true}
            """
        #expect(
            problems(text) == [
                "flows.yaml:8: flows.f.steps.join: uses 'name' before a step saves it on every way here; save it earlier (ask or buttons with save:)"
            ])
    }

    @Test func aRunCollectsAnswersRetriesChoosesAndCallsTheWebhook() throws {
        let engine = FlowEngine(try parse(Self.wholesale))
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let context = FlowContext(contactName: "Lena")
        var result = try #require(engine.start("wholesale", context: context, now: t0))
        #expect(result.actions == [.entered(flow: "wholesale", step: "ask_name"), .say("May I have your name?")])
        result = engine.answer(.text("Lena Park"), run: result.run, context: context, now: t0)
        #expect(result.actions.last == .say("Your e-mail address?"))
        // Invalid, re-asked with the step's own words; then valid.
        result = engine.answer(.text("lena at example"), run: result.run, context: context, now: t0)
        #expect(result.actions == [.say("That does not look like an e-mail address."), .say("Your e-mail address?")])
        #expect(result.run.retries == 1 && result.run.step == "ask_email")
        result = engine.answer(.text(" Lena@Example.com "), run: result.run, context: context, now: t0)
        // Evidence for merging contacts: the address, lower-cased (a name never is).
        #expect(result.actions.first == .collected(ContactEvidence(kind: .email, value: "lena@example.com")))
        #expect(
            result.actions.last
                == .choice(
                    .buttons, text: "Which products?",
                    options: [
                        Flow.Option(id: "bags", title: "Bags"), Flow.Option(id: "shoes", title: "Shoes"),
                        Flow.Option(id: "other", title: "Something else"),
                    ]))
        // A typed title counts as the option.
        result = engine.answer(.text("shoes"), run: result.run, context: context, now: t0)
        #expect(result.run.variables["category"] == "shoes" && result.actions.last == .say("How many pieces?"))
        result = engine.answer(.text("1,000"), run: result.run, context: context, now: t0)
        #expect(result.run.variables["qty"] == "1000")
        #expect(
            result.actions.last
                == .callWebhook(
                    url: "http://127.0.0.1:9000/leads", flow: "wholesale", step: "crm",
                    variables: ["name": "Lena Park", "email": "Lena@Example.com", "category": "shoes", "qty": "1000"]))
        // A message while the webhook runs is not the run's: the matcher answers it.
        #expect(engine.answer(.text("hello?"), run: result.run, context: context, now: t0).consumed == false)
        let done = engine.webhookFinished(["ticket": "T-42"], run: result.run, context: context, now: t0)
        #expect(done.actions.last == .say("Thank you Lena Park! Our sales team will write to Lena@Example.com within a day (T-42)."))
        #expect(done.run.status == .completed)
        // The webhook failed for good: its error step hands over.
        let failed = engine.webhookFinished(nil, run: result.run, context: context, now: t0)
        #expect(failed.actions.last == .handover("Let me pass you to a colleague.") && failed.run.status == .handedOver)
    }

    @Test func branchesCompareNumbersAsNumbersAndReadTags() throws {
        let engine = FlowEngine(try parse(Self.wholesale))
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        func run(qty: String, category: String, tags: Set<String> = []) throws -> FlowEngine.Result {
            let context = FlowContext(tags: tags)
            var result = try #require(engine.start("wholesale", context: context, now: t0))
            for input in [FlowInput.text("Kim"), .text("kim@example.com"), .choice(id: category), .text(qty)] {
                result = engine.answer(input, run: result.run, context: context, now: t0)
            }
            return result
        }
        #expect(try run(qty: "99", category: "bags").run.status == .completed, "99 < 100 as numbers (as texts '99' > '100')")
        #expect(try run(qty: "99", category: "bags").actions.last == .say("For fewer than 100 pieces, order on the shop, Kim."))
        #expect(try run(qty: "100", category: "bags").run.step == "crm")
        #expect(try run(qty: "500", category: "other").run.step == "small")
        #expect(try run(qty: "5", category: "other", tags: ["vip"]).run.step == "crm")
    }

    @Test func contactAttributesSetByAFlowAreReadByTheStepsAfterAndByLaterFlows() throws {
        let text = """
            flows:
              profile:
                trigger: {api: true}
                start: ask_city
                steps:
                  ask_city: {ask: "Which city?", save: city, next: keep}
                  keep: {set: {city: "{{city}}"}, next: route}
                  route:
                    branch:
                      - {if: "contact.city == 'Paris'", next: paris}
                    else: other
                  paris: {say: "Bonjour {{contact.name}} in {{contact.city}}!", end: true}
                  other: {say: "Hello from {{contact.city}}.", end: true}
            """
        let engine = FlowEngine(try parse(text))
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let started = try #require(engine.start("profile", context: FlowContext(contactName: "Ana"), now: t0))
        let paris = engine.answer(.text("Paris"), run: started.run, context: FlowContext(contactName: "Ana"), now: t0)
        #expect(paris.actions.contains(.setAttribute("city", "Paris")))
        #expect(paris.actions.last == .say("Bonjour Ana in Paris!"))
        // A later run reads what the contact keeps.
        let later = try #require(engine.start("profile", context: FlowContext(attributes: ["city": "Lyon"]), now: t0))
        let lyon = engine.answer(.text("Lyon"), run: later.run, context: FlowContext(attributes: ["city": "Lyon"]), now: t0)
        #expect(lyon.actions.last == .say("Hello from Lyon."))
    }

    @Test func retriesRunOutIntoAHandoverAndSilenceTimesOut() throws {
        let text = """
            flows:
              order:
                trigger: {entry: order_status}
                start: number
                steps:
                  number: {ask: "Your order number?", save: order, expect: {pattern: "LM[0-9]{6}"}, retries: 1, timeout_minutes: 30, next: thanks}
                  thanks: {say: "Looking up {{order}}.", end: true}
            """
        let engine = FlowEngine(try parse(text))
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let started = try #require(engine.start("order", context: FlowContext(), now: t0))
        var result = engine.answer(.text("12345"), run: started.run, context: FlowContext(), now: t0)
        #expect(result.actions == [.say(FlowEngine.defaultInvalid), .say("Your order number?")])
        result = engine.answer(.text("LM12"), run: result.run, context: FlowContext(), now: t0)
        #expect(result.actions == [.handover(FlowEngine.defaultHandover)] && result.run.status == .handedOver)
        #expect(engine.answer(.text("LM123456"), run: started.run, context: FlowContext(), now: t0).actions.last == .say("Looking up LM123456."))
        // Silence: nothing due before 30 minutes, abandoned after.
        #expect(engine.deadline(of: started.run) == t0.addingTimeInterval(1_800))
        #expect(engine.due(started.run, context: FlowContext(), now: t0.addingTimeInterval(1_799)) == nil)
        #expect(engine.due(started.run, context: FlowContext(), now: t0.addingTimeInterval(1_800))?.run.status == .abandoned)
    }

    @Test(arguments: [
        ("a@b.co", Flow.Expectation.email, "a@b.co"), ("+49 (30) 1234-567", .phone, "+49301234567"), ("12.5", .number, "12.5"),
        ("31/12/2026", .date, "2026-12-31"), ("2026-2-3", .date, "2026-02-03"), ("hello", .text, "hello"),
    ])
    func expectationsNormaliseWhatTheyAccept(_ answer: String, _ expectation: Flow.Expectation, _ saved: String) {
        #expect(expectation.accept(answer) == saved)
    }

    @Test func expectationsRefuseWhatDoesNotFit() {
        #expect(Flow.Expectation.email.accept("a@b") == nil)
        #expect(Flow.Expectation.phone.accept("12") == nil)
        #expect(Flow.Expectation.number.accept("12 pieces") == nil)
        #expect(Flow.Expectation.date.accept("31/02/2026") == nil)
        #expect(Flow.Expectation.pattern("LM[0-9]{6}").accept("xLM123456") == nil)
        #expect(Flow.Expectation.text.accept("   ") == nil)
        // Full-width digits (a Chinese keyboard's) are no crash, and no date either.
        #expect(Flow.Expectation.date.accept("２０２６-０１-０１") == nil)
        // Numbers whose grouping means different things in different countries are refused.
        #expect(Flow.Expectation.number.accept("1,5") == nil && Flow.Expectation.number.accept("1.000") == "1")
        #expect(Flow.Expectation.number.accept("1,000") == "1000" && Flow.Expectation.number.accept("-3") == "-3")
        // The whole answer must match, whichever branch of an alternation does.
        #expect(Flow.Expectation.pattern(#"\d{3}|\d{3}-\d{4}"#).accept("555-1234") == "555-1234")
    }

    @Test func aRetriesRunOutPathSavesNothingAndAWebhookLoopIsALoop() {
        let text = """
            flows:
              f:
                trigger: {api: true}
                start: ask
                steps:
                  ask:   {ask: "E-mail?", save: email, expect: email, else: sorry, next: done}
                  sorry: {say: "We could not read {{email}}.", end: true}
                  done:  {webhook: "http://127.0.0.1:9/x", next: fin, error: done}
                  fin:   {say: "Done.", end: true}
            """
        #expect(
            problems(text) == [
                "flows.yaml:8: flows.f.steps.done: a loop (done → done) never waits for the customer; put an ask, buttons, list or wait in it",
                "flows.yaml:7: flows.f.steps.sorry: uses 'email' before a step saves it on every way here; save it earlier (ask or buttons with save:)",
            ])
    }

    @Test func aRunWhoseStepIsGoneEnds() throws {
        let engine = FlowEngine(try parse(Self.wholesale))
        let stale = FlowRun(flow: "wholesale", step: "removed_step", since: Date(timeIntervalSince1970: 0))
        #expect(engine.answer(.text("hi"), run: stale, context: FlowContext(), now: Date()).run.status == .abandoned)
        #expect(engine.due(stale, context: FlowContext(), now: Date())?.run.status == .abandoned)
    }

    @Test func conditionsParseAndSayWhatIsWrong() throws {
        let condition = try FlowCondition.parse("not (language == 'zh' or channel == \"telegram\") and open")
        #expect(condition.holds(in: FlowCondition.Context(channel: "whatsapp", language: "es", open: true)))
        #expect(!condition.holds(in: FlowCondition.Context(channel: "whatsapp", language: "zh", open: true)))
        #expect(condition.variables.isEmpty)
        #expect(try FlowCondition.parse("qty > 9 and size").variables == ["qty", "size"])
        for bad in ["qty = 3", "(open", "tag(vip)", "'x'", "and open", "qty == 'open"] {
            #expect(throws: FlowConditionError.self, "\(bad)") { try FlowCondition.parse(bad) }
        }
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
