/// Shortfalls are stored with reports as `{"kind": …, …numbers}`.
extension Shortfall: Codable {
    enum CodingKeys: String, CodingKey { case kind, have, need, attested, hours, limit, medium, windowDays = "window_days", fields, ageDays = "age_days", declared, types, samples, approvals, severity, agreementHours = "agreement_hours", expected, cells, daysAgo = "days_ago" }

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
        case .accessLeadTime(let hours, let limit, let approvals):
            ("access_lead_time", [("hours", .double(hours)), ("limit", .double(limit)), ("approvals", .int(approvals))])
        case .attestationDrift(let declared, let attested): ("attestation_drift", [("declared", .int(declared)), ("attested", .int(attested))])
        case .logTypesMissing(let types): ("log_types_missing", [("types", .texts(types))])
        case .access(let hours, let limit, let severity, let approvals, let agreement):
            ("access", [("hours", .double(hours)), ("limit", .double(limit)), ("severity", .text(severity.rawValue)), ("approvals", .int(approvals))]
                + (agreement.map { [("agreement_hours", StoredValue.double($0))] } ?? []))
        case .silent(let hours, let expected): ("silent", [("hours", .double(hours)), ("expected", .double(expected))])
        case .noResponsibleContact(let cells): ("responsible_contact", [("cells", .texts(cells))])
        case .notDrilled(let days, let limit): ("not_drilled", [("limit", .int(limit))] + (days.map { [("days_ago", StoredValue.int($0))] } ?? []))
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

    /// The shortfall a stored kind and its fields describe, or `nil` when they do not describe one.
    public init?(storedKind kind: String, fields: [String: StoredValue]) {
        func int(_ key: String) -> Int? { if case .int(let value)? = fields[key] { value } else { nil } }
        func double(_ key: String) -> Double? {
            switch fields[key] {
            case .double(let value)?: value
            case .int(let value)?: Double(value)
            default: nil
            }
        }
        func bool(_ key: String) -> Bool? { if case .bool(let value)? = fields[key] { value } else { nil } }
        func texts(_ key: String) -> [String]? { if case .texts(let value)? = fields[key] { value } else { nil } }
        switch kind {
        case "retention":
            guard let have = int("have"), let need = int("need"), let attested = bool("attested") else { return nil }
            self = .retention(have: have, need: need, attested: attested)
        case "searchable":
            guard let have = int("have"), let need = int("need") else { return nil }
            self = .searchable(have: have, need: need)
        case "retrieval":
            guard let hours = double("hours"), let limit = double("limit"), case .text(let code)? = fields["medium"],
                  let medium = StorageMedium(rawValue: code), let window = int("window_days") else { return nil }
            self = .retrieval(hours: hours, limit: limit, medium: medium, windowDays: window)
        case "measured_retrieval":
            guard let hours = double("hours"), let limit = double("limit"), let samples = int("samples") else { return nil }
            self = .measuredRetrieval(hours: hours, limit: limit, samples: samples)
        case "access_lead_time":
            guard let hours = double("hours"), let limit = double("limit"), let approvals = int("approvals") else { return nil }
            self = .accessLeadTime(hours: hours, limit: limit, approvals: approvals)
        case "fields_missing":
            guard let fields = texts("fields") else { return nil }
            self = .fieldsMissing(fields)
        case "clock": self = .clockNotSynchronised
        case "attestation_missing": self = .attestationMissing
        case "attestation_stale":
            guard let age = int("age_days"), let limit = int("limit") else { return nil }
            self = .attestationStale(ageDays: age, limit: limit)
        case "attestation_drift":
            guard let declared = int("declared"), let attested = int("attested") else { return nil }
            self = .attestationDrift(declared: declared, attested: attested)
        case "log_types_missing":
            guard let types = texts("types") else { return nil }
            self = .logTypesMissing(types)
        case "access":
            guard let hours = double("hours"), let limit = double("limit"), case .text(let code)? = fields["severity"],
                  let severity = Priority(rawValue: code), let approvals = int("approvals") else { return nil }
            self = .access(hours: hours, limit: limit, severity: severity, approvals: approvals, agreementHours: double("agreement_hours"))
        case "silent":
            guard let hours = double("hours"), let expected = double("expected") else { return nil }
            self = .silent(hours: hours, expectedHours: expected)
        case "not_drilled":
            guard let limit = int("limit") else { return nil }
            self = .notDrilled(daysAgo: int("days_ago"), limit: limit)
        case "responsible_contact":
            guard let cells = texts("cells") else { return nil }
            self = .noResponsibleContact(cells: cells)
        default: return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(String.self, forKey: .kind)
        var fields: [String: StoredValue] = [:]
        for key in container.allKeys where key != .kind {
            if let value = try? container.decode(Int.self, forKey: key) { fields[key.rawValue] = .int(value) }
            else if let value = try? container.decode(Double.self, forKey: key) { fields[key.rawValue] = .double(value) }
            else if let value = try? container.decode(Bool.self, forKey: key) { fields[key.rawValue] = .bool(value) }
            else if let value = try? container.decode(String.self, forKey: key) { fields[key.rawValue] = .text(value) }
            else if let value = try? container.decode([String].self, forKey: key) { fields[key.rawValue] = .texts(value) }
        }
        guard let shortfall = Shortfall(storedKind: kind, fields: fields) else {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "not a stored shortfall of kind '\(kind)'")
        }
        self = shortfall
    }
}
