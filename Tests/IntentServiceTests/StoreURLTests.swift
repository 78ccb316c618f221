import Testing

@testable import IntentService

/// Store URLs are parsed once, where the setting is read, and never printed with their password.
@Suite struct StoreURLTests {
    @Test func sqliteFilesAndPostgresServersAreTheTwoKinds() throws {
        #expect(try StoreURL(parsing: "sqlite:.intent/index.sqlite") == .sqlite(path: ".intent/index.sqlite"))
        #expect(try StoreURL(parsing: "/var/lib/intent/state.sqlite") == .sqlite(path: "/var/lib/intent/state.sqlite"))
        #expect(try StoreURL(parsing: "postgresql://u@db/intent") == .postgres("postgresql://u@db/intent"))
        #expect(try StoreURL(parsing: "postgres://u@db/intent").isShared)
        #expect(try !StoreURL(parsing: "state.sqlite").isShared)
    }

    @Test func otherSchemesAreRefusedWithoutEchoingTheURL() {
        #expect {
            try StoreURL(parsing: "mysql://user:hunter2@db/state")
        } throws: { error in
            let text = "\(error)"
            return text.contains("unsupported store scheme 'mysql'") && text.contains("postgres://") && !text.contains("hunter2")
        }
    }

    @Test func thePasswordIsNeverPrinted() throws {
        let url = try StoreURL(parsing: "postgres://intent:hunter2@db.internal:5433/intent")
        #expect("\(url)" == "postgres://intent@db.internal:5433/intent")
        #expect("\(try StoreURL(parsing: "sqlite:x.sqlite"))" == "sqlite:x.sqlite")
        // Passwords URLComponents cannot read, and a password in the query.
        #expect("\(try StoreURL(parsing: "postgres://u:p#ss/w?rd@db/intent"))" == "postgres://u@db/intent")
        #expect("\(try StoreURL(parsing: "postgres://u@db/intent?password=hunter2"))" == "postgres://u@db/intent")
        #expect(throws: ConfigurationError.self) { try StoreURL(parsing: "sqlite:") }
    }

    @Test func aBadStoreSettingNamesWhereItCameFrom() throws {
        let layers = try ConfigurationLayers(configFile: nil, flags: [:], environment: ["INTENT_STATE": "redis://cache/0"])
        #expect {
            try layers.storeURL(.state)
        } throws: { error in
            "\(error)".hasPrefix("INTENT_STATE: unsupported store scheme 'redis'")
        }
    }
}
