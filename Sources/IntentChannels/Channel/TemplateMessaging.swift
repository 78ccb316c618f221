/// A channel whose platform approves message templates in advance: the only messages that reach
/// a customer outside the 24-hour window. The runtime caches the list (`TemplateCatalog`) and
/// sends a template like any outbox item, through `ChatChannel.send`.
package protocol TemplateMessaging: ChatChannel {
    /// The approved templates, asked of the platform now.
    func approvedTemplates() async throws(TemplateFetchError) -> [MessageTemplate]
}

/// Why a channel has no list of approved templates.
package enum TemplateFetchError: Error, Sendable, Equatable {
    /// The channel is not set up for templates: what to set, in words the operator can act on.
    case notConfigured(String)
    /// The platform did not give the list: its answer, never a secret.
    case failed(String)
}
