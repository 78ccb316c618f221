import Foundation
import Testing

@testable import IntentCore

@Suite struct CorpusLoaderTests {
    @Test func readsEveryFormatAndMergesCSVRows() throws {
        let dir = try ScratchDirectory([
            "a.jsonl": #"{"id": "refund", "questions": ["how do I get a refund"], "answer": "Refunds take 5 days."}"# + "\n",
            "b.json": #"[{"id": "track", "questions": ["where is my parcel"], "answer": "Track it online.", "tags": ["shipping"]}]"#,
            "c.yaml": """
            entries:
              - id: hours
                questions: [when are you open, 几点上班]
                answer: 9 to 5
                threshold: 0.4
                keywords: [opening hours]
            """,
            "d.csv":
                "id,question,answer\nsize,what size should I take,See the size chart\nsize,\"is it true to size, or small?\",\nsize,尺码怎么选,See the size chart\n",
            "README.md": "not a corpus file",
        ])
        try FileManager.default.createDirectory(atPath: dir.file("eval"), withIntermediateDirectories: true)
        try dir.write("eval/questions.jsonl", #"{"question": "x", "expected": null}"#)
        let corpus = try CorpusLoader.load(dir.path)
        #expect(corpus.entries.map(\.id) == ["refund", "track", "hours", "size"])
        #expect(corpus.entry(id: "size")?.questions == ["what size should I take", "is it true to size, or small?", "尺码怎么选"])
        #expect(corpus.entry(id: "hours")?.threshold == 0.4)
        #expect(corpus.entry(id: "track")?.tags == ["shipping"])
        #expect(corpus.rules.map(\.id) == ["keywords:hours"])
        #expect(corpus.warnings.isEmpty)
        #expect(corpus.entry(id: "refund")?.location == SourceLocation(file: dir.file("a.jsonl"), line: 1))
    }

    @Test func theAutomationAndFlowFilesAreNotCorpusFiles() throws {
        let flows = "flows:\n  hello:\n    trigger: {keyword: [hello]}\n    start: hi\n    steps:\n      hi: {say: Hi, end: true}\n"
        for names in [["automation.yaml", "flows.yaml"], ["automation.yml", "flows.yml"]] {
            let dir = try ScratchDirectory([
                "a.jsonl": #"{"id": "track", "questions": ["where is my parcel"], "answer": "Here."}"# + "\n",
                names[0]: "timezone: UTC\ngreeting:\n  text: Welcome!\n",
                names[1]: flows,
            ])
            let corpus = try CorpusLoader.load(dir.path)
            #expect(corpus.entries.map(\.id) == ["track"], "\(names)")
            #expect(corpus.warnings.isEmpty, "\(names): \(corpus.warnings)")
        }
    }

    @Test func handoverIsReadFromEveryFormatAndTheAutomationFileIsNotACorpusFile() throws {
        let dir = try ScratchDirectory([
            "a.jsonl": #"{"id": "human", "questions": ["talk to a person"], "answer": "Passing you on.", "handover": true}"# + "\n",
            "b.csv": "id,question,answer,handover\nagent,real agent please,One moment.,true\nbot,just the bot,Fine.,\n",
            "rules.yaml": "rules:\n  - {id: r, mode: contains_any, patterns: [人工], faq: human, stage: before, handover: true}\n",
            "automation.yaml": "timezone: UTC\n",
        ])
        let corpus = try CorpusLoader.load(dir.path)
        #expect(corpus.entries.map(\.handover) == [true, true, false])
        #expect(corpus.rules.first { $0.id == "r" }?.handover == true)
        let byRule = MatchDecision(
            status: .keyword, id: "human", answer: "x", score: nil, margin: nil, method: .keyword, matchedQuestion: nil, rule: "r",
            candidates: [], reason: "")
        #expect(corpus.handsOver(byRule))
        var byEntry = byRule
        byEntry.rule = nil
        byEntry.id = "bot"
        byEntry.status = .matched
        #expect(!corpus.handsOver(byEntry))
        let bad = try ScratchDirectory(["a.jsonl": #"{"id": "x", "questions": ["q"], "answer": "a", "handover": "yes"}"#])
        #expect(throws: CorpusValidationError.self) { try CorpusLoader.load(bad.path) }
        do {
            _ = try CorpusLoader.load(bad.path)
        } catch {
            #expect(error.description.contains("a.jsonl:1: handover: expected true or false, found a string"), "\(error)")
        }
    }

    @Test func aSingleFileIsACorpus() throws {
        let dir = try ScratchDirectory(["faq.jsonl": #"{"id": "a", "questions": ["q"], "answer": "x"}"#])
        #expect(try CorpusLoader.load(dir.file("faq.jsonl")).entries.count == 1)
    }

    @Test func jsonArrayErrorsNameTheElementLine() throws {
        let dir = try ScratchDirectory([
            "faq.json": """
            [
              {"id": "a", "questions": ["q1"], "answer": "x"},
              {"id": "b",
               "questions": [], "answer": "y"}
            ]
            """
        ])
        #expect(rejection(dir) == ["faq.json:3: questions: empty list; give at least one"])
    }

    @Test func listsEveryProblemWithFileAndLine() throws {
        let dir = try ScratchDirectory([
            "a.jsonl": [
                #"{"id": "dup", "questions": ["one"], "answer": "x"}"#,
                #"{"id": "dup", "questions": ["two"], "answer": "x"}"#,
                #"{"id": "noanswer", "questions": ["three"]}"#,
                #"{"id": "empty", "questions": ["  "], "answer": "x"}"#,
                #"{"id": "shared", "questions": ["one"], "answer": "x"}"#,
                #"{"id": "typed", "questions": "four", "answer": 5, "colour": "red"}"#,
                #"{"id": "bad", "questions": ["five"], "answer": "x", "threshold": 3}"#,
                #"{"id": "oops" "#,
                #"["not an object"]"#,
            ].joined(separator: "\n"),
            "rules.yaml": """
            rules:
              - id: r1
                mode: regex
                patterns: ["(unclosed"]
                answer: hi
              - id: r2
                mode: sometimes
                patterns: [x]
                faq: nowhere
              - id: r1
                mode: exact
                patterns: ["!!!"]
                answer: a
                faq: dup
            """,
        ])
        let lines = rejection(dir)
        let expected = [
            "a.jsonl:2: id: 'dup' is already defined at a.jsonl:1; ids must be unique",
            "a.jsonl:3: answer: missing; add a non-empty answer",
            "a.jsonl:4: questions: item 1 is empty",
            "a.jsonl:5: questions: 'one' is also a paraphrase of 'dup' (a.jsonl:1); a paraphrase must belong to one entry",
            "a.jsonl:6: answer: expected a string, found a number",
            "a.jsonl:6: warning: colour: unknown field, ignored (known: id, questions, answer, keywords, tags, threshold, handover)",
            "a.jsonl:7: threshold: 3.0 is out of range 0.0...1.0",
            "a.jsonl:9: expected a JSON object, found a list",
            "rules.yaml:4: patterns: item 1: invalid regular expression '(unclosed'",
            "rules.yaml:7: mode: 'sometimes' is not a mode; use one of contains_any, contains_all, exact, regex",
            "rules.yaml:9: faq: 'nowhere' is not an entry id of the corpus",
            "rules.yaml:10: id: 'r1' is already used by the rule at rules.yaml:2; rule ids must be unique",
            "rules.yaml:13: answer: give either 'faq' or 'answer', not both",
        ]
        for line in expected {
            #expect(lines.contains(line), "missing: \(line)\ngot:\n\(lines.joined(separator: "\n"))")
        }
        #expect(lines.contains { $0.hasPrefix("a.jsonl:8: malformed JSON") })
        #expect(lines.last?.isEmpty == false)
    }

    @Test func invalidUTF8NamesTheLine() throws {
        let dir = try ScratchDirectory()
        var bytes = Array(#"{"id": "a", "questions": ["q"], "answer": "x"}"#.utf8) + [0x0A]
        bytes += Array(#"{"id": "b", "questions": ["caf"#.utf8) + [0xE9, 0x22] + Array(#"], "answer": "x"}"#.utf8)
        try dir.write("faq.jsonl", bytes: bytes)
        #expect(rejection(dir) == ["faq.jsonl:2: invalid UTF-8 at byte \(bytes.firstIndex(of: 0xE9)!); save the file as UTF-8"])
    }

    @Test func malformedYAMLAndCSVNameTheLine() throws {
        let yaml = try ScratchDirectory(["faq.yaml": "entries:\n  - id: a\n    questions: [unclosed\n    answer: x\n"])
        #expect(rejection(yaml).first?.hasPrefix("faq.yaml:") == true)
        #expect(rejection(yaml).first?.contains("malformed YAML") == true)

        let csv = try ScratchDirectory([
            "faq.csv": "id,question,answer\na,q1,x\na,q2,y\nb,\"never closed,x\n"
        ])
        #expect(
            rejection(csv) == [
                "faq.csv:3: answer: differs from the answer given for 'a' at line 2; give it once or repeat it exactly",
                "faq.csv:4: malformed CSV: a quoted field is never closed",
            ])
        let header = try ScratchDirectory(["faq.csv": "id,text\na,b\n"])
        #expect(rejection(header).contains("faq.csv:1: question: missing column; the header must name id,question,answer"))
    }

    @Test func nearDuplicatesAcrossEntriesWarn() throws {
        let dir = try ScratchDirectory([
            "faq.jsonl": #"{"id": "a", "questions": ["Shut up"], "answer": "x"}"# + "\n"
                + #"{"id": "b", "questions": ["shut up."], "answer": "y"}"#
        ])
        let corpus = try CorpusLoader.load(dir.path)
        #expect(corpus.warnings.count == 1)
        #expect(corpus.warnings[0].description.contains("normalises to the same text as 'Shut up' of 'a'"))
    }

    @Test func missingPathsAndEmptyDirectoriesAreErrors() throws {
        let dir = try ScratchDirectory(["notes.txt": "hello"])
        #expect(rejection(dir).first?.contains("no corpus files") == true)
        #expect(rejection(dir, at: dir.file("nope")).first?.contains("no such file or directory") == true)
    }

    @Test func versionChangesWithContent() throws {
        let a = Corpus(entries: [FAQEntry(id: "a", questions: ["q"], answer: "x")])
        let b = Corpus(entries: [FAQEntry(id: "a", questions: ["q"], answer: "y")])
        #expect(a.version != b.version)
        #expect(a.version == Corpus(entries: [FAQEntry(id: "a", questions: ["q"], answer: "x")]).version)
    }
}
