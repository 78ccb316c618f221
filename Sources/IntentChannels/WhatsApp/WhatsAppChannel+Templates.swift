import IntentHTTP

/// The approved templates of the WhatsApp Business Account (`whatsapp_business_account_id`),
/// read a page at a time from the Graph API over the channel's libcurl transport.
extension WhatsAppChannel: TemplateMessaging {
    /// The most pages read (of 100 templates each): an account holds a few hundred templates
    /// per language, and a cursor that never ends must not keep the caller waiting forever.
    static let maxTemplatePages = 50

    package func approvedTemplates() async throws(TemplateFetchError) -> [MessageTemplate] {
        guard let account = settings.businessAccountID, !account.isEmpty else {
            throw .notConfigured(
                "templates come from a WhatsApp Business Account: set whatsapp_business_account_id (INTENT_WHATSAPP_BUSINESS_ACCOUNT_ID) to its id (Business Settings > Accounts > WhatsApp accounts)"
            )
        }
        var templates: [MessageTemplate] = []
        var after: String?
        for _ in 0..<Self.maxTemplatePages {
            let response: HTTPResponseData
            do {
                response = try await transport.send(graph.templatesRequest(account: account, after: after))
            } catch {
                throw .failed(GraphError(status: nil, code: nil, detail: "\(error)", trace: nil).description)
            }
            switch GraphAPI.templatePage(of: response) {
            case .failure(let error):
                throw .failed(error.description)
            case .success(let page):
                templates += page.approved
                guard let next = page.after, next != after else { return templates }
                after = next
            }
        }
        return templates
    }
}
