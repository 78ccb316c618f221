import Foundation

/// A `branch` case's condition: comparisons of variables (numbers compare as numbers), the
/// contact's tags (`tag('vip')`), `channel`, `language` and `open` (the business's hours), joined
/// by `and`, `or`, `not` and parentheses. `category == 'bags' and qty >= 100`, `not open`.
package indirect enum FlowCondition: Sendable, Equatable {
    case compare(Operand, Comparison, Operand)
    /// A name alone: `open` is the hours; a variable is true when it is set and not empty.
    case truth(String)
    case tag(String)
    case not(FlowCondition)
    case and(FlowCondition, FlowCondition)
    case or(FlowCondition, FlowCondition)

    package enum Operand: Sendable, Equatable {
        case name(String)
        case literal(String)
    }

    package enum Comparison: String, Sendable {
        case equal = "==", notEqual = "!=", atLeast = ">=", atMost = "<=", greater = ">", less = "<"
    }

    /// What a condition reads of the run and the conversation.
    package struct Context: Sendable {
        package var variables: [String: String]
        package var tags: Set<String>
        package var channel: String
        package var language: String?
        package var open: Bool

        package init(variables: [String: String] = [:], tags: Set<String> = [], channel: String = "", language: String? = nil, open: Bool = true) {
            self.variables = variables
            self.tags = tags
            self.channel = channel
            self.language = language
            self.open = open
        }

        func value(_ name: String) -> String {
            switch name {
            case "channel": channel
            case "language": language ?? ""
            case "open": open ? "true" : "false"
            default: variables[name] ?? ""
            }
        }
    }

    /// The names the condition reads that a flow's steps must have saved (not the built-in ones).
    package var variables: Set<String> {
        switch self {
        case .compare(let a, _, let b):
            Set([a, b].compactMap { if case .name(let n) = $0, !Self.builtIn.contains(n) { n } else { nil } })
        case .truth(let name): Self.builtIn.contains(name) ? [] : [name]
        case .tag: []
        case .not(let c): c.variables
        case .and(let a, let b), .or(let a, let b): a.variables.union(b.variables)
        }
    }

    static let builtIn: Set<String> = ["channel", "language", "open"]

    package func holds(in context: Context) -> Bool {
        switch self {
        case .truth(let name): name == "open" ? context.open : !context.value(name).isEmpty
        case .tag(let tag): context.tags.contains(tag)
        case .not(let c): !c.holds(in: context)
        case .and(let a, let b): a.holds(in: context) && b.holds(in: context)
        case .or(let a, let b): a.holds(in: context) || b.holds(in: context)
        case .compare(let a, let comparison, let b):
            Self.compare(resolve(a, context), comparison, resolve(b, context))
        }
    }

    private func resolve(_ operand: Operand, _ context: Context) -> String {
        switch operand {
        case .name(let name): context.value(name)
        case .literal(let text): text
        }
    }

    /// Numbers as numbers when both sides are numbers ("100" >= "99"); else texts, equal ignoring case.
    private static func compare(_ a: String, _ comparison: Comparison, _ b: String) -> Bool {
        if let x = Double(a.trimmingCharacters(in: .whitespaces)), let y = Double(b.trimmingCharacters(in: .whitespaces)) {
            switch comparison {
            case .equal: return x == y
            case .notEqual: return x != y
            case .atLeast: return x >= y
            case .atMost: return x <= y
            case .greater: return x > y
            case .less: return x < y
            }
        }
        let order = a.lowercased().compare(b.lowercased())
        switch comparison {
        case .equal: return order == .orderedSame
        case .notEqual: return order != .orderedSame
        case .atLeast: return order != .orderedAscending
        case .atMost: return order != .orderedDescending
        case .greater: return order == .orderedDescending
        case .less: return order == .orderedAscending
        }
    }

    /// Parses a condition, or says what is wrong and where (a character offset).
    package static func parse(_ text: String) throws(FlowConditionError) -> FlowCondition {
        var parser = Parser(tokens: try tokens(text))
        let condition = try parser.disjunction()
        if let extra = parser.peek { throw FlowConditionError("unexpected '\(extra)' after a complete condition") }
        return condition
    }

    private enum Token: Equatable, CustomStringConvertible {
        case word(String), literal(String), op(String), open, close

        var description: String {
            switch self {
            case .word(let w): w
            case .literal(let l): "'\(l)'"
            case .op(let o): o
            case .open: "("
            case .close: ")"
            }
        }
    }

    private static func tokens(_ text: String) throws(FlowConditionError) -> [Token] {
        var tokens: [Token] = []
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace {
                i += 1
            } else if c == "(" || c == ")" {
                tokens.append(c == "(" ? .open : .close)
                i += 1
            } else if c == "'" || c == "\"" {
                guard let end = chars[(i + 1)...].firstIndex(of: c) else { throw FlowConditionError("a quote (\(c)) is never closed") }
                tokens.append(.literal(String(chars[(i + 1)..<end])))
                i = end + 1
            } else if "=!<>".contains(c) {
                let two = i + 1 < chars.count ? String(chars[i...(i + 1)]) : String(c)
                if ["==", "!=", ">=", "<="].contains(two) {
                    tokens.append(.op(two))
                    i += 2
                } else if c == "<" || c == ">" {
                    tokens.append(.op(String(c)))
                    i += 1
                } else {
                    throw FlowConditionError("'\(c)' alone is no operator; compare with ==, !=, >=, <=, > or <")
                }
            } else if c.isLetter || c.isNumber || c == "_" || c == "." || c == "-" {
                var end = i
                while end < chars.count, chars[end].isLetter || chars[end].isNumber || chars[end] == "_" || chars[end] == "." || chars[end] == "-" {
                    end += 1
                }
                let word = String(chars[i..<end])
                tokens.append(Double(word) != nil ? .literal(word) : .word(word))
                i = end
            } else {
                throw FlowConditionError("'\(c)' cannot appear in a condition")
            }
        }
        return tokens
    }

    private struct Parser {
        var tokens: [Token]
        var position = 0

        var peek: Token? { position < tokens.count ? tokens[position] : nil }

        mutating func take() -> Token? {
            defer { position += 1 }
            return peek
        }

        mutating func disjunction() throws(FlowConditionError) -> FlowCondition {
            var left = try conjunction()
            while peek == .word("or") {
                position += 1
                left = .or(left, try conjunction())
            }
            return left
        }

        mutating func conjunction() throws(FlowConditionError) -> FlowCondition {
            var left = try negation()
            while peek == .word("and") {
                position += 1
                left = .and(left, try negation())
            }
            return left
        }

        mutating func negation() throws(FlowConditionError) -> FlowCondition {
            if peek == .word("not") {
                position += 1
                return .not(try negation())
            }
            return try primary()
        }

        mutating func primary() throws(FlowConditionError) -> FlowCondition {
            guard let token = take() else { throw FlowConditionError("the condition ends too early") }
            switch token {
            case .open:
                let inner = try disjunction()
                guard take() == .close else { throw FlowConditionError("a parenthesis is never closed") }
                return inner
            case .word("tag"):
                guard take() == .open, case .literal(let tag)? = take(), take() == .close else {
                    throw FlowConditionError("write a tag test as tag('vip')")
                }
                return .tag(tag)
            case .word(let name):
                if case .op(let op)? = peek {
                    position += 1
                    return .compare(.name(name), Comparison(rawValue: op)!, try operand())
                }
                return .truth(name)
            case .literal(let text):
                guard case .op(let op)? = take() else { throw FlowConditionError("'\(text)' alone is no condition; compare it with a name") }
                return .compare(.literal(text), Comparison(rawValue: op)!, try operand())
            case .op(let op): throw FlowConditionError("'\(op)' needs a name or a value before it")
            case .close: throw FlowConditionError("')' without '('")
            }
        }

        mutating func operand() throws(FlowConditionError) -> Operand {
            switch take() {
            case .word(let name): return .name(name)
            case .literal(let text): return .literal(text)
            default: throw FlowConditionError("a comparison needs a name or a value after its operator")
            }
        }
    }
}

package struct FlowConditionError: Error, Sendable, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = description }
}
