import Foundation

/// Validation rules for inventory objects. Each function returns every issue it finds, never only the first.
public enum Validation {
    /// Longest retention a tier may declare (100 years).
    public static let maxRetentionDays = 36_500

    /// Issues of an organisation.
    public static func issues(in org: Organisation, path: String = "") -> [ValidationIssue] {
        var issues = slugIssues(org.id.rawValue, path: join(path, "id"))
        issues += textIssues(org.name, path: join(path, "name"))
        if let parent = org.parentID {
            if parent == org.id { issues.append(.init(path: join(path, "parent"), message: "an organisation cannot be its own parent")) }
            issues += slugIssues(parent.rawValue, path: join(path, "parent"))
        }
        for (index, contact) in org.contacts.enumerated() { issues += controlIssues(contact, path: join(path, "contacts[\(index)]")) }
        issues += controlIssues(org.escalationContact, path: join(path, "escalation_contact"))
        return issues
    }

    /// Issues of a system.
    public static func issues(in system: ProtectedSystem, path: String = "") -> [ValidationIssue] {
        var issues = slugIssues(system.id.rawValue, path: join(path, "id"))
        issues += textIssues(system.name, path: join(path, "name"))
        issues += slugIssues(system.ownerOrgID.rawValue, path: join(path, "owner_org"))
        for (index, tag) in system.tags.enumerated() {
            if tag.isEmpty || tag.count > 64 { issues.append(.init(path: join(path, "tags[\(index)]"), message: "a tag has 1 to 64 characters")) }
            issues += controlIssues(tag, path: join(path, "tags[\(index)]"))
        }
        issues += controlIssues(system.description, path: join(path, "description"))
        return issues
    }

    /// Issues of a log source.
    public static func issues(in source: LogSource, path: String = "") -> [ValidationIssue] {
        var issues = textIssues(source.name, path: join(path, "name"))
        issues += slugIssues(source.systemID.rawValue, path: join(path, "system"))
        issues += slugIssues(source.custodianOrgID.rawValue, path: join(path, "custodian_org"))
        issues += logTypeIssues(source.logType, path: join(path, "log_type"))
        for (index, tier) in source.retentionTiers.enumerated() {
            if !(1...maxRetentionDays).contains(tier.days) {
                issues.append(.init(path: join(path, "retention_tiers[\(index)].days"),
                                    message: "days must be between 1 and \(maxRetentionDays), got \(tier.days)"))
            }
            if let hours = tier.retrievalHours, !(hours >= 0 && hours.isFinite) {
                issues.append(.init(path: join(path, "retention_tiers[\(index)].retrieval_hours"), message: "retrieval hours must be zero or more"))
            }
        }
        if let lead = source.accessProcedure?.leadTimeHours, !(lead >= 0 && lead.isFinite) {
            issues.append(.init(path: join(path, "access_procedure.lead_time_hours"), message: "lead time must be zero or more hours"))
        }
        for (index, field) in source.fields.enumerated() where !isFieldName(field) {
            issues.append(.init(path: join(path, "fields[\(index)]"), message: "'\(field)' is not a normalised field name (lower case, digits, '_' and '.')"))
        }
        if let volume = source.volumeGBPerDay, !(volume >= 0 && volume.isFinite) {
            issues.append(.init(path: join(path, "volume_gb_per_day"), message: "volume must be zero or more"))
        }
        let texts: [(String, String?)] = [("product", source.product), ("format", source.format), ("notes", source.notes),
                                          ("clock.timezone", source.clock.timezone), ("access_procedure.contact", source.accessProcedure?.contact),
                                          ("access_procedure.steps", source.accessProcedure?.steps)]
        for (field, value) in texts { issues += controlIssues(value, path: join(path, field)) }
        for (index, approval) in (source.accessProcedure?.approvals ?? []).enumerated() {
            issues += controlIssues(approval, path: join(path, "access_procedure.approvals[\(index)]"))
        }
        return issues
    }

    /// Issues of an attestation.
    public static func issues(in attestation: Attestation, path: String = "") -> [ValidationIssue] {
        var issues = textIssues(attestation.checkedBy, path: join(path, "checked_by"))
        issues += textIssues(attestation.method, path: join(path, "method"))
        if attestation.oldestRecordAt > attestation.checkedAt {
            issues.append(.init(path: join(path, "oldest_record_at"), message: "the oldest record cannot be later than the check"))
        }
        return issues
    }

    /// An issue for an unknown log type, naming the closest valid codes.
    public static func logTypeIssues(_ code: String, path: String) -> [ValidationIssue] {
        guard Taxonomy.logType(code) == nil else { return [] }
        return [.init(path: path, message: unknownMessage("log type", code, Taxonomy.logTypeCodes))]
    }

    /// The medium for `code`, or an issue naming the closest valid media.
    public static func medium(_ code: String, path: String) -> Result<StorageMedium, ValidationIssue> {
        if let medium = StorageMedium(rawValue: code) { return .success(medium) }
        return .failure(.init(path: path, message: unknownMessage("storage medium", code, StorageMedium.allCases.map(\.rawValue))))
    }

    /// "unknown X 'y'; did you mean …" with the closest candidates.
    public static func unknownMessage(_ what: String, _ value: String, _ candidates: [String]) -> String {
        let close = Suggestions.closest(to: value, among: candidates)
        let hint = close.isEmpty ? "valid values: \(candidates.joined(separator: ", "))" : "did you mean \(close.map { "'\($0)'" }.joined(separator: " or "))?"
        return "unknown \(what) '\(value)'; \(hint)"
    }

    static func slugIssues(_ value: String, path: String) -> [ValidationIssue] {
        Slug.isValid(value) ? [] : [.init(path: path, message: "'\(value)' is not a slug (1–63 of a-z, 0-9 and '-', not starting with '-')")]
    }

    static func textIssues(_ value: String, path: String) -> [ValidationIssue] {
        // Most texts start with a printable ASCII character (not whitespace) and are short in bytes (so in
        // characters): decided without walking their characters.
        let bytes = value.utf8
        let printableStart = bytes.first.map { $0 > 0x20 && $0 < 0x7F } ?? false
        if !printableStart, value.allSatisfy(\.isWhitespace) { return [.init(path: path, message: "must not be empty")] }
        if bytes.count > 200, value.count > 200 { return [.init(path: path, message: "at most 200 characters")] }
        return controlIssues(value, path: path)
    }

    /// An issue when `value` holds a control character other than tab and line breaks (U+0000–U+001F, U+007F–U+009F):
    /// PostgreSQL refuses NUL, and YAML parsers refuse the others unescaped, so no such text enters the inventory.
    public static func controlIssues(_ value: String?, path: String) -> [ValidationIssue] {
        guard let value, let bad = value.unicodeScalars.first(where: isForbiddenControl) else { return [] }
        let code = "U+" + String(bad.value, radix: 16, uppercase: true).leftPadded(to: 4)
        return [.init(path: path, message: "contains the control character \(code); only tab and line breaks are allowed")]
    }

    /// Control characters refused in any text: C0 except tab, line feed and carriage return; DEL; C1.
    public static func isForbiddenControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: false
        case 0x00...0x1F, 0x7F...0x9F: true
        default: false
        }
    }

    public static func isFieldName(_ value: String) -> Bool {
        let bytes = value.utf8
        return !bytes.isEmpty && bytes.count <= 64 && bytes.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }

    static func join(_ base: String, _ field: String) -> String { base.isEmpty ? field : "\(base).\(field)" }
}

private extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
