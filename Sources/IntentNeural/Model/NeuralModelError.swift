import Foundation

/// Why a model directory cannot be used. Every case names the file and what is wrong,
/// so the message alone tells the user what to fix.
public enum NeuralModelError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String, hint: String)
    case unreadable(path: String, reason: String)
    case invalidJSON(path: String, reason: String)
    case unsupported(path: String, reason: String)
    case corruptWeights(path: String, reason: String)
    case missingTensor(path: String, name: String)
    case wrongShape(path: String, name: String, expected: [Int], got: [Int])

    public var description: String {
        switch self {
        case .missingFile(let path, let hint): return "\(path): missing; \(hint)"
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .invalidJSON(let path, let reason): return "\(path): invalid: \(reason)"
        case .unsupported(let path, let reason): return "\(path): unsupported model: \(reason)"
        case .corruptWeights(let path, let reason): return "\(path): corrupt safetensors file: \(reason)"
        case .missingTensor(let path, let name): return "\(path): tensor \(name) is missing"
        case .wrongShape(let path, let name, let expected, let got):
            return "\(path): tensor \(name) has shape \(got), expected \(expected)"
        }
    }
}

extension NeuralModelError {
    /// Parses JSON that must have the shape `T` (`what` describes it: "a JSON object");
    /// `problem` turns "not valid JSON" or "not <what>" into the error naming the file.
    static func parse<T>(_ data: Data, as type: T.Type, what: String, problem: (String) -> NeuralModelError) throws(NeuralModelError) -> T {
        guard let any = try? JSONSerialization.jsonObject(with: data) else { throw problem("not valid JSON") }
        guard let value = any as? T else { throw problem("not \(what)") }
        return value
    }

    /// The bytes of a file, or `unreadable` naming it.
    static func read(_ path: String) throws(NeuralModelError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
    }
}
