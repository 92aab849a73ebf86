/// Shortfalls are stored with reports as `{"kind": …, …numbers}`.
extension Shortfall: Codable {
    enum CodingKeys: String, CodingKey { case kind, have, need, attested, hours, limit, medium, windowDays = "window_days", fields, ageDays = "age_days", declared, types, samples }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .retention(let have, let need, let attested):
            try container.encode("retention", forKey: .kind); try container.encode(have, forKey: .have)
            try container.encode(need, forKey: .need); try container.encode(attested, forKey: .attested)
        case .searchable(let have, let need):
            try container.encode("searchable", forKey: .kind); try container.encode(have, forKey: .have); try container.encode(need, forKey: .need)
        case .retrieval(let hours, let limit, let medium, let window):
            try container.encode("retrieval", forKey: .kind); try container.encode(hours, forKey: .hours); try container.encode(limit, forKey: .limit)
            try container.encode(medium, forKey: .medium); try container.encode(window, forKey: .windowDays)
        case .measuredRetrieval(let hours, let limit, let samples):
            try container.encode("measured_retrieval", forKey: .kind); try container.encode(hours, forKey: .hours)
            try container.encode(limit, forKey: .limit); try container.encode(samples, forKey: .samples)
        case .fieldsMissing(let fields): try container.encode("fields_missing", forKey: .kind); try container.encode(fields, forKey: .fields)
        case .clockNotSynchronised: try container.encode("clock", forKey: .kind)
        case .attestationMissing: try container.encode("attestation_missing", forKey: .kind)
        case .attestationStale(let age, let limit):
            try container.encode("attestation_stale", forKey: .kind); try container.encode(age, forKey: .ageDays); try container.encode(limit, forKey: .limit)
        case .attestationDrift(let declared, let attested):
            try container.encode("attestation_drift", forKey: .kind); try container.encode(declared, forKey: .declared); try container.encode(attested, forKey: .attested)
        case .logTypesMissing(let types): try container.encode("log_types_missing", forKey: .kind); try container.encode(types, forKey: .types)
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
