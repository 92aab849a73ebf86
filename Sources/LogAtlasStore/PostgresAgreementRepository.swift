import Foundation
import LogAtlasCore
import PostgresNIO

/// Standing retrieval agreements in PostgreSQL, read and changed as the caller under row-level security. Who may
/// accept for which side is decided in Core (`RetrievalAgreement.acceptanceSide`); each change is one UPDATE
/// conditioned on the version it was decided on.
public struct PostgresAgreementRepository: AgreementRepository {
    let database: Database

    public init(database: Database) { self.database = database }

    public func agreements(custodian: OrgID?, csirt: OrgID?, as caller: Principal) async throws -> [RetrievalAgreement] {
        // An organisation id that is no slug names no organisation.
        guard [custodian, csirt].allSatisfy({ $0.map { Slug.isValid($0.rawValue) } ?? true }) else { return [] }
        return try await database.withCaller(caller) { connection in
            try await AgreementRows.read(connection.checkedQuery("""
                SELECT * FROM agreements
                WHERE (\(custodian?.rawValue)::text IS NULL OR custodian_org_id = \(custodian?.rawValue))
                  AND (\(csirt?.rawValue)::text IS NULL OR csirt_org_id = \(csirt?.rawValue))
                ORDER BY valid_until DESC, id
                """, logger: database.logger))
        }
    }

    public func agreement(_ id: AgreementID, as caller: Principal) async throws -> (current: RetrievalAgreement, previous: [RetrievalAgreement]) {
        try await database.withCaller(caller) { connection in
            let current = try await fetch(id, on: connection)
            let previous = try await AgreementRows.read(connection.checkedQuery("""
                SELECT (jsonb_populate_record(NULL::agreements, snapshot)).* FROM agreement_versions
                WHERE agreement_id = \(id.rawValue) ORDER BY version
                """, logger: database.logger))
            return (current, previous)
        }
    }

    public func propose(custodian: OrgID, csirt: OrgID, terms: AgreementTerms, as caller: Principal, now: Date) async throws -> RetrievalAgreement {
        guard caller.mayDraftAgreement(custodian: custodian, csirt: csirt) else {
            throw AgreementError.forbidden("only the custodian organisation, the CSIRT team and admins propose an agreement between them")
        }
        var issues = terms.issues()
        for (path, org) in [("custodian_org", custodian), ("csirt_org", csirt)] where !Slug.isValid(org.rawValue) {
            issues.append(.init(path: path, message: "not an organisation id (a lower-case slug)"))
        }
        guard issues.isEmpty else { throw AgreementError.invalid(issues) }
        let id = AgreementID()
        return try await database.withCaller(caller) { connection in
            var problems: [ValidationIssue] = []
            for try await (known, team) in try await connection.checkedQuery("""
                SELECT EXISTS (SELECT 1 FROM orgs WHERE id = \(custodian.rawValue)), org_is_csirt_team(\(csirt.rawValue))
                """, logger: database.logger).decode((Bool, Bool).self) {
                if !known { problems.append(.init(path: "custodian_org", message: "no organisation '\(custodian)'")) }
                if !team { problems.append(.init(path: "csirt_org", message: "'\(csirt)' is not a CSIRT team")) }
            }
            guard problems.isEmpty else { throw AgreementError.invalid(problems) }
            try await connection.checkedQuery("""
                INSERT INTO agreements (id, custodian_org_id, csirt_org_id, created_by, created_at, \(unescaped: AgreementRows.termColumns))
                SELECT \(id.rawValue), \(custodian.rawValue), \(csirt.rawValue), \(caller.name), \(now), \(unescaped: AgreementRows.termColumns)
                FROM jsonb_populate_record(NULL::agreements, \(try AgreementRows.json(terms))::jsonb)
                """, logger: database.logger)
            return try await fetch(id, on: connection)
        }
    }

    public func revise(_ id: AgreementID, version: Int, terms: AgreementTerms, as caller: Principal, now: Date) async throws -> RetrievalAgreement {
        let issues = terms.issues()
        guard issues.isEmpty else { throw AgreementError.invalid(issues) }
        let json = try AgreementRows.json(terms)
        return try await change(id, version: version, as: caller, now: now) { current in
            guard caller.mayDraftAgreement(custodian: current.custodianOrgID, csirt: current.csirtOrgID) else {
                throw AgreementError.forbidden("only its two sides and admins revise an agreement")
            }
            if current.status(now: now) == .withdrawn { throw AgreementError.refused("the agreement was withdrawn") }
            return """
                version = version + 1, (\(unescaped: AgreementRows.termColumns)) =
                    (SELECT \(unescaped: AgreementRows.termColumns) FROM jsonb_populate_record(NULL::agreements, \(json)::jsonb)),
                custodian_accepted_by = NULL, custodian_accepted_at = NULL, csirt_accepted_by = NULL, csirt_accepted_at = NULL
                """
        }
    }

    public func accept(_ id: AgreementID, version: Int, side: AgreementSide?, as caller: Principal, now: Date) async throws -> RetrievalAgreement {
        try await change(id, version: version, as: caller, now: now) { current in
            switch current.acceptanceSide(for: caller, version: version, asked: side, now: now) {
            case .failure(let error): throw error
            case .success(.custodian): return "custodian_accepted_by = \(caller.name), custodian_accepted_at = \(now)"
            case .success(.csirt): return "csirt_accepted_by = \(caller.name), csirt_accepted_at = \(now)"
            }
        }
    }

    public func withdraw(_ id: AgreementID, as caller: Principal, now: Date) async throws -> RetrievalAgreement {
        try await change(id, version: nil, as: caller, now: now) { current in
            guard !caller.agreementSides(custodian: current.custodianOrgID, csirt: current.csirtOrgID).isEmpty else {
                throw AgreementError.forbidden("only its two sides and admins withdraw an agreement")
            }
            if current.withdrawal != nil { throw AgreementError.refused("the agreement was withdrawn already") }
            return "withdrawn_by = \(caller.name), withdrawn_at = \(now)"
        }
    }

    /// Reads the agreement, lets `decide` check it and name the assignments, and applies them if nobody changed the
    /// agreement meanwhile (else `staleVersion`).
    func change(_ id: AgreementID, version: Int?, as caller: Principal, now: Date,
                _ decide: (RetrievalAgreement) throws -> PostgresQuery) async throws -> RetrievalAgreement {
        try await database.withCaller(caller) { connection in
            let current = try await fetch(id, on: connection)
            if let version, version != current.version { throw AgreementError.staleVersion(current: current.version) }
            var update = try decide(current)
            update.sql = "UPDATE agreements SET " + update.sql
            let offset = update.binds.count
            update.sql += " WHERE id = $\(offset + 1) AND version = $\(offset + 2) RETURNING id"
            update.binds.append(id.rawValue)
            update.binds.append(current.version)
            var applied = false
            for try await _ in try await connection.checkedQuery(update, logger: database.logger) { applied = true }
            guard applied else { throw AgreementError.staleVersion(current: try await fetch(id, on: connection).version) }
            return try await fetch(id, on: connection)
        }
    }

    func fetch(_ id: AgreementID, on connection: PostgresConnection) async throws -> RetrievalAgreement {
        guard let found = try await AgreementRows.read(connection.checkedQuery("SELECT * FROM agreements WHERE id = \(id.rawValue)",
                                                                                logger: database.logger)).first
        else { throw AgreementError.notFound(id.description) }
        return found
    }
}

/// Row decoding and the term columns of `agreements`.
enum AgreementRows {
    static let termColumns = """
        scope_system_ids, scope_log_types, scope_tags, incident_types, minimum_severity, max_window_days, delivery_method,
        promised_lead_hours, valid_from, valid_until, approver_name, approver_role, legal_basis
        """

    /// The terms as a JSON object of `termColumns`, read by `jsonb_populate_record`.
    static func json(_ terms: AgreementTerms) throws -> String {
        struct Record: Encodable {
            let scope_system_ids: [String], scope_log_types: [String], scope_tags: [String], incident_types: [Int]
            let minimum_severity: String, max_window_days: Int, delivery_method: String, promised_lead_hours: Double
            let valid_from: Date, valid_until: Date, approver_name: String, approver_role: String, legal_basis: String
        }
        return try RequestRows.json(Record(
            scope_system_ids: terms.scope.systemIDs.map(\.rawValue), scope_log_types: terms.scope.logTypes, scope_tags: terms.scope.tags,
            incident_types: terms.incidentTypes.map(\.rawValue), minimum_severity: terms.minimumSeverity.rawValue,
            max_window_days: terms.maxWindowDays, delivery_method: terms.deliveryMethod.rawValue, promised_lead_hours: terms.promisedLeadHours,
            valid_from: terms.validFrom, valid_until: terms.validUntil, approver_name: terms.approverName,
            approver_role: terms.approverRole, legal_basis: terms.legalBasis))
    }

    static func read(_ rows: PostgresRowSequence) async throws -> [RetrievalAgreement] {
        var agreements: [RetrievalAgreement] = []
        for try await row in rows { agreements.append(try agreement(row.makeRandomAccess())) }
        return agreements
    }

    static func agreement(_ row: PostgresRandomAccessRow) throws -> RetrievalAgreement {
        func signature(_ by: String, _ at: String) throws -> AgreementSignature? {
            guard let name = try row.value(by, as: String?.self), let date = try row.value(at, as: Date?.self) else { return nil }
            return AgreementSignature(by: name, at: date)
        }
        let terms = AgreementTerms(
            scope: AgreementScope(systemIDs: try row.value("scope_system_ids", as: [String].self).map { SystemID($0) },
                                  logTypes: try row.value("scope_log_types"), tags: try row.value("scope_tags")),
            incidentTypes: try row.value("incident_types", as: [Int].self).compactMap(IncidentType.init(rawValue:)),
            minimumSeverity: Priority(rawValue: try row.value("minimum_severity")) ?? .critical,
            maxWindowDays: try row.value("max_window_days"),
            deliveryMethod: DeliveryMethod(rawValue: try row.value("delivery_method")) ?? .fileExport,
            promisedLeadHours: try row.value("promised_lead_hours"), validFrom: try row.value("valid_from"),
            validUntil: try row.value("valid_until"), approverName: try row.value("approver_name"),
            approverRole: try row.value("approver_role"), legalBasis: try row.value("legal_basis"))
        return RetrievalAgreement(
            id: AgreementID(try row.value("id", as: UUID.self)), version: try row.value("version"),
            custodianOrgID: OrgID(try row.value("custodian_org_id")), csirtOrgID: OrgID(try row.value("csirt_org_id")), terms: terms,
            custodianAcceptance: try signature("custodian_accepted_by", "custodian_accepted_at"),
            csirtAcceptance: try signature("csirt_accepted_by", "csirt_accepted_at"),
            withdrawal: try signature("withdrawn_by", "withdrawn_at"),
            createdBy: try row.value("created_by"), createdAt: try row.value("created_at"))
    }
}
