/// An error that can say what went wrong in words safe to show a client of the service
/// (`degraded_reason`): no text a remote party sent, which may echo part of a key.
public protocol ClientSafeError: Error {
    var clientDescription: String { get }
}

/// What a client may read about `error` (see `ClientSafeError`).
public func clientDescription(of error: any Error) -> String {
    (error as? any ClientSafeError)?.clientDescription ?? "\(type(of: error)) (details in the service log)"
}
