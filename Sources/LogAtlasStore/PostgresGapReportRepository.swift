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
        /// The incidents that showed it (absent in runs stored before observed gaps), and the gap it judges.
        var observed_in: [String]?, observed_gap: UUID?


        /// An organisation's stored findings.
        static func findings(fromJSON text: String) throws -> [Finding] {
            try RecordJSON.decoder.decode([FindingRecord].self, from: Data(text.utf8)).map(\.finding)
        }

        /// The finding as stored: the requirement carries what reports show (id, title, clause, incident types, weight).
        var finding: Finding {
            Finding(policyID: policy_id,
                    requirement: Requirement(id: requirement_id, title: requirement_title, clause: clause, appliesTo: TargetSelector(),
                                             logTypes: .anyOf([]), incidentTypes: incident_types.compactMap(IncidentType.init(rawValue:)),
                                             weight: weight),
                    target: Target(kind: Target.Kind(rawValue: target_kind) ?? .system, id: target_id, orgID: OrgID(org_id)),
                    status: FindingStatus(rawValue: status) ?? .missing, shortfalls: shortfalls,
                    sourceIDs: source_ids.map { LogSourceID($0) }, shortfallLogTypes: shortfall_types, observedIn: observed_in ?? [],
                    observedGapID: observed_gap)
        }
    }

    public func save(_ findings: [Finding], policies: [String], orgFilter: String?, systemFilter: String?, id reportID: UUID,
                     as caller: Principal) async throws -> StoredGapReport {
        let (id, createdAt, digest) = try await database.withCaller(caller) { connection -> (UUID, Date, String) in
            // The digest covers the versions of everything the caller sees, so an unchanged inventory gives the same digest.
            let rows = try await connection.checkedQuery("""
                INSERT INTO gap_reports (id, created_by, policies, org_filter, system_filter, sees_all, inventory_digest, attack_version)
                SELECT \(reportID), \(caller.name), \(policies), \(orgFilter), \(systemFilter), app_sees_all(),
                       encode(sha256(convert_to(concat_ws('|',
                           (SELECT string_agg(id || ':' || version, ',' ORDER BY id) FROM orgs),
                           (SELECT string_agg(id || ':' || version, ',' ORDER BY id) FROM systems),
                           (SELECT string_agg(id::text || ':' || version, ',' ORDER BY id) FROM log_sources)), 'UTF8')), 'hex'),
                       \(Taxonomy.attackVersion)
                RETURNING id, created_at, inventory_digest
                """, logger: database.logger)
            var stored: (UUID, Date, String)?
            for try await value in rows.decode((UUID, Date, String).self) { stored = value }
            guard let (id, createdAt, digest) = stored else { throw PolicyError.forbidden("report not stored") }
            // One document per organisation (schema/migrations/0003_gap_reports.sql): row-level security checks each organisation's row.
            var byOrg: [String: [Finding]] = [:]
            for finding in findings { byOrg[finding.target.orgID.rawValue, default: []].append(finding) }
            let orgIDs = byOrg.keys.sorted()
            let documents = try orgIDs.map { try RecordJSON.array(byOrg[$0]!.map(FindingRecord.init)) }
            try await connection.checkedQuery("""
                INSERT INTO gap_report_orgs (report_id, org_id, findings)
                SELECT \(id), x.org_id, x.findings::json FROM unnest(\(orgIDs)::text[], \(documents)::text[]) AS x(org_id, findings)
                """, logger: database.logger)
            // The run's scores per organisation and policy, for the readiness trend (0009_readiness_trend.sql).
            let scores = GapReport.Score.byOrgAndPolicy(findings).sorted { ($0.key.orgID, $0.key.policyID) < ($1.key.orgID, $1.key.policyID) }
            try await connection.checkedQuery("""
                INSERT INTO gap_report_scores (report_id, org_id, policy_id, met, partial, missing, weighted, total)
                SELECT \(id), x.* FROM unnest(\(scores.map(\.key.orgID.rawValue))::text[], \(scores.map(\.key.policyID))::text[],
                    \(scores.map(\.value.met))::int[], \(scores.map(\.value.partial))::int[], \(scores.map(\.value.missing))::int[],
                    \(scores.map(\.value.weighted))::float8[], \(scores.map(\.value.total))::float8[])
                    AS x(org_id, policy_id, met, partial, missing, weighted, total)
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
            let header = try await connection.checkedQuery("""
                SELECT id, created_at, created_by, policies, org_filter, system_filter, inventory_digest FROM gap_reports WHERE id = \(id)
                """, logger: database.logger)
            for try await row in header {
                let r = row.makeRandomAccess()
                report = StoredGapReport(id: try r.value("id"), createdAt: try r.value("created_at"), createdBy: try r.value("created_by"),
                                         policies: try r.value("policies"), orgFilter: try r.value("org_filter"), systemFilter: try r.value("system_filter"),
                                         inventoryDigest: try r.value("inventory_digest"), findings: [])
            }
            guard var report else { throw PolicyError.notFound(kind: "gap report", id: id.uuidString.lowercased()) }
            let rows = try await connection.checkedQuery("""
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
            let rows = try await connection.checkedQuery("""
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

extension PostgresGapReportRepository {
    public func trend(policy: String?, org: String?, limit: Int, as caller: Principal) async throws -> [TrendPoint] {
        try await database.withCaller(caller) { connection in
            // Row-level security limits the scores to the organisations the caller sees; the sums are over those.
            let rows = try await connection.checkedQuery("""
                SELECT id, created_at, policy_id, met, partial, missing, weighted, total FROM (
                    SELECT r.id, r.created_at, s.policy_id, sum(s.met)::int AS met, sum(s.partial)::int AS partial,
                           sum(s.missing)::int AS missing, sum(s.weighted) AS weighted, sum(s.total) AS total,
                           row_number() OVER (PARTITION BY s.policy_id ORDER BY r.created_at DESC, r.id) AS newest
                    FROM gap_reports r JOIN gap_report_scores s ON s.report_id = r.id
                    WHERE r.system_filter IS NULL AND (r.sees_all OR r.created_by = \(caller.name))
                      AND (\(policy)::text IS NULL OR s.policy_id = \(policy))
                      AND CASE WHEN \(org)::text IS NULL THEN r.org_filter IS NULL
                               ELSE s.org_id = \(org) AND (r.org_filter IS NULL OR r.org_filter = \(org)) END
                    GROUP BY r.id, r.created_at, s.policy_id
                ) AS runs
                WHERE newest <= \(limit)
                ORDER BY policy_id, created_at, id
                """, logger: database.logger)
            var points: [TrendPoint] = []
            for try await (id, createdAt, policyID, met, partial, missing, weighted, total)
                in rows.decode((UUID, Date, String, Int, Int, Int, Double, Double).self) {
                points.append(TrendPoint(reportID: id, createdAt: createdAt, policyID: policyID,
                                         score: GapReport.Score(met: met, partial: partial, missing: missing, weighted: weighted, total: total)))
            }
            return points
        }
    }
}

extension PostgresGapReportRepository.FindingRecord {
    init(_ finding: Finding) {
        policy_id = finding.policyID; requirement_id = finding.requirement.id; requirement_title = finding.requirement.title
        clause = finding.requirement.clause; target_kind = finding.target.kind.rawValue; target_id = finding.target.id
        org_id = finding.target.orgID.rawValue; status = finding.status.rawValue; shortfalls = finding.shortfalls
        shortfall_types = finding.shortfallLogTypes; source_ids = finding.sourceIDs.map(\.rawValue)
        incident_types = finding.requirement.incidentTypes.map(\.rawValue); weight = finding.requirement.weight
        observed_in = finding.observedIn.isEmpty ? nil : finding.observedIn; observed_gap = finding.observedGapID
    }
}
