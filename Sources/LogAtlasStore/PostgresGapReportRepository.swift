import Foundation
import LogAtlasCore
import PostgresNIO

/// Gap-analysis runs in PostgreSQL; row-level security shows a custodian only its own organisations' findings.
public struct PostgresGapReportRepository: GapReportRepository {
    let database: Database

    public init(database: Database) { self.database = database }

    struct FindingRecord: Codable {
        var policy_id: String, requirement_id: String, requirement_title: String, clause: String, target_kind: String
        var target_id: String, org_id: String, status: String, shortfalls: [Shortfall], shortfall_types: [String]
        var source_ids: [UUID], incident_types: [Int], weight: Double


        /// The JSON array `jsonb_to_recordset` reads, written directly: `JSONEncoder` took a second for the
        /// 66,672 findings of a 100,000-source inventory. The same as encoding `FindingRecord`s (tested).
        static func json(_ findings: some Collection<Finding>) -> String {
            var writer = JSONWriter()
            writer.text.reserveCapacity(findings.count * 400)
            writer.text += "["
            for (index, finding) in findings.enumerated() {
                if index > 0 { writer.text += "," }
                writer.text += "{\"policy_id\":"; writer.string(finding.policyID)
                writer.text += ",\"requirement_id\":"; writer.string(finding.requirement.id)
                writer.text += ",\"requirement_title\":"; writer.string(finding.requirement.title)
                writer.text += ",\"clause\":"; writer.string(finding.requirement.clause)
                writer.text += ",\"target_kind\":"; writer.string(finding.target.kind.rawValue)
                writer.text += ",\"target_id\":"; writer.string(finding.target.id)
                writer.text += ",\"org_id\":"; writer.string(finding.target.orgID.rawValue)
                writer.text += ",\"status\":"; writer.string(finding.status.rawValue)
                writer.text += ",\"shortfalls\":["
                for (position, shortfall) in finding.shortfalls.enumerated() {
                    if position > 0 { writer.text += "," }
                    let (kind, fields) = shortfall.stored
                    writer.text += "{\"kind\":"; writer.string(kind)
                    for (key, value) in fields {
                        writer.text += ","; writer.string(key); writer.text += ":"
                        switch value {
                        case .int(let number): writer.text += String(number)
                        case .double(let number): writer.text += "\(number)"
                        case .bool(let flag): writer.text += flag ? "true" : "false"
                        case .text(let text): writer.string(text)
                        case .texts(let texts): writer.strings(texts)
                        }
                    }
                    writer.text += "}"
                }
                writer.text += "],\"shortfall_types\":"; writer.strings(finding.shortfallLogTypes)
                writer.text += ",\"source_ids\":"; writer.strings(finding.sourceIDs.map { $0.rawValue.uuidString })
                writer.text += ",\"incident_types\":[" + finding.requirement.incidentTypes.map { String($0.rawValue) }.joined(separator: ",")
                writer.text += "],\"weight\":\(finding.requirement.weight)}"
            }
            writer.text += "]"
            return writer.text
        }

        /// An organisation's stored findings. Read with `ColumnJSON` (`JSONDecoder` takes a second for 66,672 findings),
        /// falling back to `JSONDecoder` for anything that reader leaves alone.
        static func findings(fromJSON text: String) throws -> [Finding] {
            if case .array(let items)? = ColumnJSON.parse(text) {
                let findings = items.compactMap(finding)
                if findings.count == items.count { return findings }
            }
            return try RecordJSON.decoder.decode([FindingRecord].self, from: Data(text.utf8)).map(\.finding)
        }

        /// The finding as stored: the requirement carries what reports show (id, title, clause, incident types, weight).
        var finding: Finding {
            Finding(policyID: policy_id,
                    requirement: Requirement(id: requirement_id, title: requirement_title, clause: clause, appliesTo: TargetSelector(),
                                             logTypes: .anyOf([]), incidentTypes: incident_types.compactMap(IncidentType.init(rawValue:)),
                                             weight: weight),
                    target: Target(kind: Target.Kind(rawValue: target_kind) ?? .system, id: target_id, orgID: OrgID(org_id)),
                    status: FindingStatus(rawValue: status) ?? .missing, shortfalls: shortfalls,
                    sourceIDs: source_ids.map { LogSourceID($0) }, shortfallLogTypes: shortfall_types)
        }

        static func finding(_ value: ColumnJSON.Value) -> Finding? {
            func text(_ key: String) -> String? { if case .string(let text)? = value[key] { text } else { nil } }
            func texts(_ key: String) -> [String]? {
                guard case .array(let items)? = value[key] else { return nil }
                let texts = items.compactMap { item -> String? in if case .string(let text) = item { text } else { nil } }
                return texts.count == items.count ? texts : nil
            }
            guard let policy = text("policy_id"), let requirement = text("requirement_id"), let title = text("requirement_title"),
                  let clause = text("clause"), let kind = text("target_kind"), let target = text("target_id"), let org = text("org_id"),
                  let status = text("status"), let types = texts("shortfall_types"), let sources = texts("source_ids"),
                  case .array(let incidentValues)? = value["incident_types"], case .number(let weight)? = value["weight"],
                  case .array(let shortfallValues)? = value["shortfalls"] else { return nil }
            let incidents = incidentValues.compactMap { item -> Int? in if case .number(let number) = item { Int(exactly: number) } else { nil } }
            let shortfalls = shortfallValues.compactMap(shortfall)
            let sourceIDs = sources.compactMap(UUID.init(uuidString:))
            guard incidents.count == incidentValues.count, shortfalls.count == shortfallValues.count, sourceIDs.count == sources.count else { return nil }
            return FindingRecord(policy_id: policy, requirement_id: requirement, requirement_title: title, clause: clause, target_kind: kind,
                                 target_id: target, org_id: org, status: status, shortfalls: shortfalls, shortfall_types: types,
                                 source_ids: sourceIDs, incident_types: incidents, weight: weight).finding
        }

        static func shortfall(_ value: ColumnJSON.Value) -> Shortfall? {
            guard case .object(let pairs) = value, case .string(let kind)? = value["kind"] else { return nil }
            var fields: [String: Shortfall.StoredValue] = [:]
            for (key, item) in pairs where key != "kind" {
                switch item {
                case .bool(let flag): fields[key] = .bool(flag)
                case .number(let number): fields[key] = Int(exactly: number).map { .int($0) } ?? .double(number)
                case .string(let text): fields[key] = .text(text)
                case .array(let items):
                    let texts = items.compactMap { item -> String? in if case .string(let text) = item { text } else { nil } }
                    guard texts.count == items.count else { return nil }
                    fields[key] = .texts(texts)
                default: return nil
                }
            }
            return Shortfall(storedKind: kind, fields: fields)
        }


    }

    public func save(_ findings: [Finding], policies: [String], orgFilter: String?, systemFilter: String?, id reportID: UUID,
                     as caller: Principal) async throws -> StoredGapReport {
        let (id, createdAt, digest) = try await database.withCaller(caller) { connection -> (UUID, Date, String) in
            // The digest covers the versions of everything the caller sees, so an unchanged inventory gives the same digest.
            let rows = try await connection.query("""
                INSERT INTO gap_reports (id, created_by, policies, org_filter, system_filter, inventory_digest, attack_version)
                SELECT \(reportID), \(caller.name), \(policies), \(orgFilter), \(systemFilter),
                       encode(sha256(convert_to(concat_ws('|',
                           (SELECT string_agg(id || ':' || version, ',' ORDER BY id) FROM orgs),
                           (SELECT string_agg(id || ':' || version, ',' ORDER BY id) FROM systems),
                           (SELECT string_agg(id::text || ':' || version, ',' ORDER BY id) FROM log_sources)), 'UTF8')), 'hex'),
                       \(Taxonomy.attackVersion)
                RETURNING id, created_at, inventory_digest
                """, logger: database.logger)
            var stored: (UUID, Date, String)?
            for try await value in rows.decode((UUID, Date, String).self) { stored = value }
            guard let (id, createdAt, digest) = stored else { throw InventoryError.forbidden("report not stored") }
            // One document per organisation (schema/0010): row-level security checks each organisation's row.
            var byOrg: [String: [Finding]] = [:]
            for finding in findings { byOrg[finding.target.orgID.rawValue, default: []].append(finding) }
            let orgIDs = byOrg.keys.sorted()
            let documents = orgIDs.map { FindingRecord.json(byOrg[$0]!) }
            try await connection.query("""
                INSERT INTO gap_report_orgs (report_id, org_id, findings)
                SELECT \(id), x.org_id, x.findings::json FROM unnest(\(orgIDs)::text[], \(documents)::text[]) AS x(org_id, findings)
                """, logger: database.logger)
            return (id, createdAt, digest)
        }
        // Row-level security let every finding in (WITH CHECK), so the caller reads back exactly these.
        return StoredGapReport(id: id, createdAt: createdAt, createdBy: caller.name, policies: policies, orgFilter: orgFilter,
                               systemFilter: systemFilter, inventoryDigest: digest, findings: findings)
    }

    public func report(_ id: UUID, as caller: Principal) async throws -> StoredGapReport {
        try await database.withCaller(caller) { connection in
            var report: StoredGapReport?
            let header = try await connection.query("""
                SELECT id, created_at, created_by, policies, org_filter, system_filter, inventory_digest FROM gap_reports WHERE id = \(id)
                """, logger: database.logger)
            for try await row in header {
                let r = row.makeRandomAccess()
                report = StoredGapReport(id: try r.value("id"), createdAt: try r.value("created_at"), createdBy: try r.value("created_by"),
                                         policies: try r.value("policies"), orgFilter: try r.value("org_filter"), systemFilter: try r.value("system_filter"),
                                         inventoryDigest: try r.value("inventory_digest"), findings: [])
            }
            guard var report else { throw InventoryError.notFound(kind: "gap report", id: id.uuidString.lowercased()) }
            let rows = try await connection.query("""
                SELECT findings::text AS findings FROM gap_report_orgs WHERE report_id = \(id)
                """, logger: database.logger)
            for try await document in rows.decode(String.self) {
                report.findings += try FindingRecord.findings(fromJSON: document)
            }
            report.findings.sort { ($0.policyID, $0.requirement.id, $0.target.kind.rawValue, $0.target.id)
                < ($1.policyID, $1.requirement.id, $1.target.kind.rawValue, $1.target.id) }
            return report
        }
    }

    public func previous(to report: StoredGapReport, as caller: Principal) async throws -> StoredGapReport? {
        let previousID = try await database.withCaller(caller) { connection -> UUID? in
            let rows = try await connection.query("""
                SELECT id FROM gap_reports
                WHERE policies = \(report.policies) AND org_filter IS NOT DISTINCT FROM \(report.orgFilter)
                  AND system_filter IS NOT DISTINCT FROM \(report.systemFilter) AND created_at < \(report.createdAt) AND id <> \(report.id)
                ORDER BY created_at DESC LIMIT 1
                """, logger: database.logger)
            for try await id in rows.decode(UUID.self) { return id }
            return nil
        }
        guard let previousID else { return nil }
        return try await self.report(previousID, as: caller)
    }
}

extension PostgresGapReportRepository.FindingRecord {
    init(_ finding: Finding) {
        policy_id = finding.policyID; requirement_id = finding.requirement.id; requirement_title = finding.requirement.title
        clause = finding.requirement.clause; target_kind = finding.target.kind.rawValue; target_id = finding.target.id
        org_id = finding.target.orgID.rawValue; status = finding.status.rawValue; shortfalls = finding.shortfalls
        shortfall_types = finding.shortfallLogTypes; source_ids = finding.sourceIDs.map(\.rawValue)
        incident_types = finding.requirement.incidentTypes.map(\.rawValue); weight = finding.requirement.weight
    }
}
