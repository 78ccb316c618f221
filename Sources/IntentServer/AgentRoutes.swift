import Foundation
import Hummingbird
import IntentChannels

/// Who is signed in, and the agents:
///
/// - `GET /v1/me`: the caller's role, and their name when they are an agent (the console shows
///   it, and hides what the role cannot do);
/// - `GET /v1/agents`: every agent (never a token);
/// - `POST /v1/agents` `{"name", "role"}`: a new agent; the 201 holds its token, this once;
/// - `POST /v1/agents/{name}/token`: a new token for the agent (the old one stops working);
/// - `DELETE /v1/agents/{name}`: removes the agent.
///
/// A change takes effect on this server at once, on other replicas within the token cache's
/// seconds (`AgentDirectory`).
struct AgentRoutes {
    let directory: AgentDirectory
    let reader: JSONBodyReader

    /// `/v1/me` on `signedIn` (any role from viewer); the agents on `admins`.
    func register(signedIn: some RouterMethods<IntentRequestContext>, admins: some RouterMethods<IntentRequestContext>) {
        signedIn.get("/v1/me") { _, context in
            try JSONResponse.make(Me(name: context.agent, displayName: context.agentDisplayName, role: context.role?.name ?? Role.viewer.name))
        }
        admins.get("/v1/agents") { _, _ in
            let agents = try await Self.usingStore { try await directory.store(creating: false)?.agents() ?? [] }
            return try JSONResponse.make(AgentList(agents: agents.map { AgentJSON($0) }))
        }
        admins.post("/v1/agents") { request, _ in
            let body = try await reader.decode(NewAgentRequest.self, from: request)
            guard let role = Agent.Role(rawValue: body.role) else {
                throw APIError(.badRequest, "invalid_role", "'role' must be viewer, agent or admin")
            }
            if let problem = AgentName.problem(with: body.name) { throw APIError(.badRequest, "invalid_name", problem) }
            let displayName = body.displayName
            if let displayName, let problem = AgentDisplayName.problem(with: displayName) {
                throw APIError(.badRequest, "invalid_display_name", problem)
            }
            let added = try await Self.usingStore {
                try await store().addAgent(named: body.name, displayName: displayName, role: role, at: Date())
            }
            directory.forget()
            return try JSONResponse.make(AgentJSON(added.agent, token: added.token), status: .created)
        }
        admins.post("/v1/agents/:name/token") { _, context in
            let name = Self.name(context)
            let token = try await Self.usingStore { try await store().rotateToken(ofAgent: name, at: Date()) }
            directory.forget()
            return try JSONResponse.make(["name": name, "token": token])
        }
        admins.delete("/v1/agents/:name") { _, context in
            let name = Self.name(context)
            let removed = try await Self.usingStore { try await store().removeAgent(named: name) }
            guard removed else { throw APIError(.notFound, "unknown_agent", AgentError.unknownAgent(name).description) }
            directory.forget()
            return try JSONResponse.make(["name": name, "status": "removed"])
        }
    }

    private func store() async throws -> any AgentStore {
        guard let store = try await directory.store(creating: true) else {
            throw APIError(.serviceUnavailable, "no_state_store", "no state store to keep the agents in")
        }
        return store
    }

    /// The path's name, percent-decoded: names may hold spaces.
    private static func name(_ context: IntentRequestContext) -> String {
        let raw = context.parameters.get("name") ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    /// The store's own refusals as the API's errors; a store that fails is the service's trouble (503).
    private static func usingStore<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as APIError {
            throw error
        } catch let error as AgentError {
            switch error {
            case .invalidName(let problem): throw APIError(.badRequest, "invalid_name", problem)
            case .nameTaken: throw APIError(.conflict, "agent_exists", error.description)
            case .unknownAgent: throw APIError(.notFound, "unknown_agent", error.description)
            }
        } catch {
            throw APIError(.serviceUnavailable, "store_unavailable", "the state store cannot be read or written; retry when /readyz reports it ok")
        }
    }

    struct NewAgentRequest: Decodable {
        var name: String
        var role: String
        var displayName: String?

        enum CodingKeys: String, CodingKey {
            case name, role
            case displayName = "display_name"
        }
    }

    struct Me: Encodable {
        var name: String?
        var displayName: String?
        var role: String

        enum CodingKeys: String, CodingKey {
            case name, role
            case displayName = "display_name"
        }
    }
}

struct AgentJSON: Encodable {
    var name: String
    var displayName: String?
    var role: String
    var createdAt: String
    var tokenRotatedAt: String
    var lastSeenAt: String?
    /// Only in the answer that made it: it is never shown again.
    var token: String?

    init(_ agent: Agent, token: String? = nil) {
        let format = ISO8601DateFormatter()
        name = agent.name
        displayName = agent.displayName
        role = agent.role.rawValue
        createdAt = format.string(from: agent.createdAt)
        tokenRotatedAt = format.string(from: agent.tokenRotatedAt)
        lastSeenAt = agent.lastSeenAt.map(format.string(from:))
        self.token = token
    }

    enum CodingKeys: String, CodingKey {
        case name, role
        case displayName = "display_name"
        case createdAt = "created_at"
        case tokenRotatedAt = "token_rotated_at"
        case lastSeenAt = "last_seen_at"
        case token
    }

    /// `last_seen_at` is null until the token is first used, and `display_name` without one, rather than absent.
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(displayName, forKey: .displayName)
        try c.encode(role, forKey: .role)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(tokenRotatedAt, forKey: .tokenRotatedAt)
        try c.encode(lastSeenAt, forKey: .lastSeenAt)
        try c.encodeIfPresent(token, forKey: .token)
    }
}

struct AgentList: Encodable {
    var agents: [AgentJSON]
}
