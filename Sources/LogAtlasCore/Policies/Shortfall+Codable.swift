/// Shortfalls are stored with reports as `{"kind": …, …numbers}`.
extension Shortfall: Codable {
    enum CodingKeys: String, CodingKey { case kind, have, need, attested, hours, limit, medium, windowDays = "window_days", fields, ageDays = "age_days", declared, types, samples }

    /// A stored field's value.
    public enum StoredValue: Sendable, Equatable {
        case int(Int), double(Double), bool(Bool), text(String), texts([String])
    }

    /// What is stored for this shortfall: its kind and its numbers, in order. The one definition of the stored
    /// form: `encode(to:)` writes it, and so does the store's direct JSON writer for reports.
    public var stored: (kind: String, fields: [(key: String, value: StoredValue)]) {
        switch self {
        case .retention(let have, let need, let attested): ("retention", [("have", .int(have)), ("need", .int(need)), ("attested", .bool(attested))])
        case .searchable(let have, let need): ("searchable", [("have", .int(have)), ("need", .int(need))])
        case .retrieval(let hours, let limit, let medium, let window):
            ("retrieval", [("hours", .double(hours)), ("limit", .double(limit)), ("medium", .text(medium.rawValue)), ("window_days", .int(window))])
        case .measuredRetrieval(let hours, let limit, let samples):
            ("measured_retrieval", [("hours", .double(hours)), ("limit", .double(limit)), ("samples", .int(samples))])
        case .fieldsMissing(let fields): ("fields_missing", [("fields", .texts(fields))])
        case .clockNotSynchronised: ("clock", [])
        case .attestationMissing: ("attestation_missing", [])
        case .attestationStale(let age, let limit): ("attestation_stale", [("age_days", .int(age)), ("limit", .int(limit))])
        case .attestationDrift(let declared, let attested): ("attestation_drift", [("declared", .int(declared)), ("attested", .int(attested))])
        case .logTypesMissing(let types): ("log_types_missing", [("types", .texts(types))])
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let (kind, fields) = stored
        try container.encode(kind, forKey: .kind)
        for (key, value) in fields {
            let codingKey = CodingKeys(rawValue: key)!
            switch value {
            case .int(let number): try container.encode(number, forKey: codingKey)
            case .double(let number): try container.encode(number, forKey: codingKey)
            case .bool(let flag): try container.encode(flag, forKey: codingKey)
            case .text(let text): try container.encode(text, forKey: codingKey)
            case .texts(let texts): try container.encode(texts, forKey: codingKey)
            }
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .kind) {
        case "retention": self = .retention(have: try container.decode(Int.self, forKey: .have), need: try container.decode(Int.self, forKey: .need),
                                            attested: try container.decode(Bool.self, forKey: .attested))
        case "searchable": self = .searchable(have: try container.decode(Int.self, forKey: .have), need: try container.decode(Int.self, forKey: .need))
        case "retrieval": self = .retrieval(hours: try container.decode(Double.self, forKey: .hours), limit: try container.decode(Double.self, forKey: .limit),
                                            medium: try container.decode(StorageMedium.self, forKey: .medium),
                                            windowDays: try container.decode(Int.self, forKey: .windowDays))
        case "measured_retrieval": self = .measuredRetrieval(hours: try container.decode(Double.self, forKey: .hours),
                                                             limit: try container.decode(Double.self, forKey: .limit),
                                                             samples: try container.decode(Int.self, forKey: .samples))
        case "fields_missing": self = .fieldsMissing(try container.decode([String].self, forKey: .fields))
        case "clock": self = .clockNotSynchronised
        case "attestation_missing": self = .attestationMissing
        case "attestation_stale": self = .attestationStale(ageDays: try container.decode(Int.self, forKey: .ageDays), limit: try container.decode(Int.self, forKey: .limit))
        case "attestation_drift": self = .attestationDrift(declared: try container.decode(Int.self, forKey: .declared),
                                                          attested: try container.decode(Int.self, forKey: .attested))
        default: self = .logTypesMissing(try container.decode([String].self, forKey: .types))
        }
    }
}
