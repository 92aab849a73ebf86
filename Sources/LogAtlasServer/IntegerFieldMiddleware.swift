import Foundation
import HTTPTypes
import OpenAPIRuntime
import Yams

/// Names the field when a JSON body carries a number that an integer field cannot hold (`3.5`, or beyond ±2⁶³).
///
/// Foundation's `JSONDecoder` reports such a number as "not valid JSON" with an empty coding path, so the generated
/// handlers could only answer a 400 that names nothing. For the operations whose bodies have integer fields, this
/// middleware keeps the body's bytes; when decoding fails that way, it reads them again as plain JSON values and
/// walks them beside the operation's schema from `openapi.yaml`, and answers 422 with the path of every misfit.
struct IntegerFieldMiddleware: ServerMiddleware {
    let fields: IntegerFields
    let bodyLimit: Int

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard let shape = fields.byOperation[operationID], let body,
              request.headerFields[.contentType]?.lowercased().hasPrefix("application/json") == true else {
            return try await next(request, body, metadata)
        }
        let bytes = try await Data(collecting: body, upTo: bodyLimit)
        do {
            return try await next(request, HTTPBody(bytes), metadata)
        } catch let error as ServerError {
            guard error.operationInput == nil, case DecodingError.dataCorrupted(let context)? = error.underlyingError as? DecodingError,
                  context.codingPath.isEmpty,
                  let value = try? JSONDecoder().decode(OpenAPIValueContainer.self, from: bytes) else { throw error }
            let misfits = IntegerFields.misfits(value.value, shape: shape, path: "")
            guard !misfits.isEmpty else { throw error }
            throw Problem(status: 422, title: "Unprocessable Content",
                          detail: "the request body is not valid: \(misfits.joined(separator: ", ")): not an integer in range",
                          errors: misfits.map { .init(path: $0, message: "must be a whole number from \(Int.min) to \(Int.max)") })
        }
    }
}

/// The integer fields of each operation's JSON request body, read from the OpenAPI document once at start.
struct IntegerFields: Sendable {
    /// Where integers sit in a schema; branches without any integer are left out.
    indirect enum Shape: Sendable {
        case integer
        case object(properties: [String: Shape], others: Shape?)
        case array(Shape)
        case alternatives([Shape])
    }

    /// Operation ID → the shape of its JSON body, for the operations whose bodies hold an integer somewhere.
    let byOperation: [String: Shape]

    init(document: String) throws {
        let root = try Yams.load(yaml: document) as? [String: Any] ?? [:]
        let schemas = (root["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]
        var byOperation: [String: Shape] = [:]
        for case let (_, item as [String: Any]) in root["paths"] as? [String: Any] ?? [:] {
            for case let (_, operation as [String: Any]) in item {
                guard let id = operation["operationId"] as? String,
                      let content = (operation["requestBody"] as? [String: Any])?["content"] as? [String: Any],
                      let schema = (content["application/json"] as? [String: Any])?["schema"],
                      let shape = Self.shape(of: schema, schemas: schemas, depth: 0) else { continue }
                byOperation[id] = shape
            }
        }
        self.byOperation = byOperation
    }

    private static func shape(of node: Any?, schemas: [String: Any], depth: Int) -> Shape? {
        guard depth < 32, let schema = node as? [String: Any] else { return nil }
        if let reference = schema["$ref"] as? String {
            return shape(of: schemas[String(reference.split(separator: "/").last ?? "")], schemas: schemas, depth: depth + 1)
        }
        let alternatives = ["allOf", "oneOf", "anyOf"].flatMap { schema[$0] as? [Any] ?? [] }
            .compactMap { shape(of: $0, schemas: schemas, depth: depth + 1) }
        if !alternatives.isEmpty { return .alternatives(alternatives) }
        switch schema["type"] as? String {
        case "integer": return .integer
        case "array": return shape(of: schema["items"], schemas: schemas, depth: depth + 1).map(Shape.array)
        default:
            let properties = (schema["properties"] as? [String: Any] ?? [:])
                .compactMapValues { shape(of: $0, schemas: schemas, depth: depth + 1) }
            let others = shape(of: schema["additionalProperties"], schemas: schemas, depth: depth + 1)
            return properties.isEmpty && others == nil ? nil : .object(properties: properties, others: others)
        }
    }

    /// The paths (as problem+json writes them: `tiers[1].days`) where `value` has a number that is not an integer
    /// although `shape` wants one. A number read as `Double` is exactly one an integer field cannot hold.
    static func misfits(_ value: (any Sendable)?, shape: Shape, path: String) -> [String] {
        switch (shape, value) {
        case (.integer, is Double): return [path]
        case (.array(let items), let array as [(any Sendable)?]):
            return array.enumerated().flatMap { misfits($1, shape: items, path: "\(path)[\($0)]") }
        case (.object(let properties, let others), let object as [String: (any Sendable)?]):
            return object.keys.sorted().flatMap { key -> [String] in
                guard let field = properties[key] ?? others else { return [] }
                return misfits(object[key] ?? nil, shape: field, path: path.isEmpty ? key : "\(path).\(key)")
            }
        case (.alternatives(let shapes), _):
            return Array(Set(shapes.flatMap { misfits(value, shape: $0, path: path) })).sorted()
        default: return []
        }
    }
}
