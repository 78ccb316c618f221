extension Corpus {
    /// This corpus with `newer` laid over it: entries of `newer` replace those with the
    /// same id and come first in their old places; entries only here are kept. Rules of
    /// `newer` replace rules with the same id; entries' keyword rules are rebuilt.
    public func merging(_ newer: Corpus) -> Corpus {
        let replacements = Dictionary(uniqueKeysWithValues: newer.entries.map { ($0.id, $0) })
        var entries = self.entries.map { replacements[$0.id] ?? $0 }
        let known = Set(entries.map(\.id))
        entries += newer.entries.filter { !known.contains($0.id) }
        let newerRuleIDs = Set(newer.rules.map(\.id))
        var rules = self.rules.filter { !newerRuleIDs.contains($0.id) && !$0.id.hasPrefix("keywords:") }
        rules += newer.rules.filter { !$0.id.hasPrefix("keywords:") }
        rules += RuleValidator.keywordRules(for: entries)
        return Corpus(entries: entries, rules: rules, warnings: newer.warnings, source: newer.source)
    }
}
