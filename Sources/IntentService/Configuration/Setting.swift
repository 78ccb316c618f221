/// Every setting of the service: its config-file key, environment variable and
/// default. One table, so docs/configuration.md, `--help` and the loader cannot drift apart.
enum Setting: String, CaseIterable {
    case host, port, corpus, rules, embedder, threshold, margin
    case topK = "top_k"
    case ownScoreFloor = "own_score_floor"
    case fallbackReply = "fallback_reply"
    case logLevel = "log_level"
    case adminToken = "admin_token"
    case maxBodyBytes = "max_body_bytes"
    case maxMessageChars = "max_message_chars"
    case maxBatchMessages = "max_batch_messages"
    case bodyTimeoutMs = "body_timeout_ms"
    case idleTimeoutMs = "idle_timeout_ms"
    case provider
    case baseURL = "base_url"
    case model, dimensions
    case batchSize = "batch_size"
    case concurrency
    case apiKeyFile = "api_key_file"
    case llm
    case llmBaseURL = "llm_base_url"
    case llmModel = "llm_model"
    case llmAPIKeyFile = "llm_api_key_file"
    case cozeBotID = "coze_bot_id"
    case cozeStream = "coze_stream"
    case providerTimeoutMs = "provider_timeout_ms"
    case deadlineMs = "deadline_ms"
    case llmDeadlineMs = "llm_deadline_ms"
    case llmMaxCalls = "llm_max_calls"
    case translate
    case translatePerHour = "translate_per_hour"
    case fallback
    case caBundle = "ca_bundle"
    case cacheEntries = "cache_entries"
    case store
    case neuralWeight = "neural_weight"
    case neuralFallback = "neural_fallback"
    case multilingualModel = "multilingual_model"
    case multilingualWeight = "multilingual_weight"
    case neuralKernel = "neural_kernel"
    case indexSearch = "index_search"
    case allowInsecureHTTP = "allow_insecure_http"
    case statsToken = "stats_token"
    case consoleToken = "console_token"
    case whatsappVerifyToken = "whatsapp_verify_token"
    case whatsappAppSecret = "whatsapp_app_secret"
    case whatsappAccessToken = "whatsapp_access_token"
    case whatsappPhoneNumberID = "whatsapp_phone_number_id"
    case whatsappBusinessAccountID = "whatsapp_business_account_id"
    case whatsappGraphURL = "whatsapp_graph_url"
    case whatsappRate = "whatsapp_rate"
    case messengerVerifyToken = "messenger_verify_token"
    case messengerAppSecret = "messenger_app_secret"
    case messengerPageID = "messenger_page_id"
    case messengerPageAccessToken = "messenger_page_access_token"
    case messengerGraphURL = "messenger_graph_url"
    case instagramVerifyToken = "instagram_verify_token"
    case instagramAppSecret = "instagram_app_secret"
    case instagramAccountID = "instagram_account_id"
    case instagramAccessToken = "instagram_access_token"
    case instagramGraphURL = "instagram_graph_url"
    case telegramBotToken = "telegram_bot_token"
    case telegramWebhookSecret = "telegram_webhook_secret"
    case telegramAPIURL = "telegram_api_url"
    case webchatSites = "webchat_sites"
    case webchatTrustForwardedFor = "webchat_trust_forwarded_for"
    case automation
    case flows
    case flowWebhookSecret = "flow_webhook_secret"
    case orderLookupURL = "order_lookup_url"
    case leadCaptureURL = "lead_capture_url"
    case state
    case stateRetentionDays = "state_retention_days"

    /// The config-file key.
    var key: String { rawValue }

    /// The environment variable that overrides the file.
    var environmentVariable: String { "INTENT_" + rawValue.uppercased() }

    /// Settings whose value is a YAML mapping or list (in the file; in the environment, the
    /// same in YAML's or JSON's one-line form).
    var isStructured: Bool { self == .webchatSites }

    /// Secret values are never echoed in errors or logs.
    var isSecret: Bool {
        [
            .adminToken, .statsToken, .consoleToken, .whatsappVerifyToken, .whatsappAppSecret, .whatsappAccessToken, .messengerVerifyToken,
            .messengerAppSecret, .messengerPageAccessToken, .instagramVerifyToken, .instagramAppSecret, .instagramAccessToken, .flowWebhookSecret,
            .telegramBotToken, .telegramWebhookSecret,
        ].contains(self)
    }
}

/// Where the configuration file is named when `--config` is not given.
let configEnvironmentVariable = "INTENT_CONFIG"
