import Foundation
import LogAtlasCore
import PostgresNIO

/// The comment thread, evidence and chain of custody of a request.
extension PostgresRequestRepository {
    public func comments(on request: RequestID, as caller: Principal) async throws -> [RequestComment] {
        try await database.withCaller(caller) { connection in
            _ = try await fetchRequest(request, on: connection)
            return try await fetchComments(on: request, on: connection)
        }
    }

    func fetchComments(on request: RequestID, on connection: PostgresConnection) async throws -> [RequestComment] {
        let rows = try await connection.checkedQuery("""
            SELECT id, author, author_role, addressed_to, body, created_at FROM request_comments
            WHERE request_id = \(request.rawValue) ORDER BY created_at, id
            """, logger: database.logger)
        var comments: [RequestComment] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            comments.append(RequestComment(id: try r.value("id"), author: try r.value("author"),
                                           authorRole: Role(rawValue: try r.value("author_role")) ?? .csirt,
                                           addressedTo: try r.value("addressed_to", as: String?.self).map { OrgID($0) },
                                           body: try r.value("body"), createdAt: try r.value("created_at")))
        }
        return comments
    }

    public func addComment(_ body: String, addressedTo org: OrgID?, on request: RequestID, as caller: Principal, now: Date) async throws -> RequestComment {
        let text = body.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...20_000).contains(text.count) else {
            throw RequestError.invalid([ValidationIssue(path: "body", message: "1 to 20000 characters")])
        }
        let controls = Validation.controlIssues(text, path: "body")
        guard controls.isEmpty else { throw RequestError.invalid(controls) }
        guard caller.mayComment else { throw RequestError.forbidden("auditors read requests; they do not comment") }
        return try await database.withCaller(caller) { connection in
            let custodians = try await fetchRequest(request, on: connection).items.map(\.custodianOrgID)
            var addressee = org
            if caller.speaksOnlyForOwnOrgs {
                let own = custodians.filter { caller.orgIDs.contains($0) }
                addressee = org ?? own.first
                guard let addressee, own.contains(addressee) else {
                    throw RequestError.invalid([ValidationIssue(path: "to", message: "must be one of your organisations on this request")])
                }
            } else if let org, !custodians.contains(org) {
                throw RequestError.invalid([ValidationIssue(path: "to", message: "'\(org)' holds no item of this request")])
            }
            let comment = RequestComment(author: caller.name, authorRole: caller.role, addressedTo: addressee, body: text, createdAt: now)
            try await connection.checkedQuery("""
                INSERT INTO request_comments (id, request_id, author, author_role, addressed_to, body, created_at)
                VALUES (\(comment.id), \(request.rawValue), \(comment.author), \(comment.authorRole.rawValue), \(addressee?.rawValue), \(text), \(now))
                """, logger: database.logger)
            return comment
        }
    }

    public func authorizeEvidence(item: RequestItemID, of request: RequestID, as caller: Principal) async throws {
        try await database.withCaller(caller) { connection in try await checkEvidence(item: item, of: request, caller: caller, on: connection) }
    }

    /// Evidence is delivered by the item's custodian while the item is approved or in progress.
    func checkEvidence(item: RequestItemID, of request: RequestID, caller: Principal, on connection: PostgresConnection) async throws {
        let current = try await fetchItem(item, of: request, on: connection)
        guard caller.parties(requesterOrg: current.requesterOrg, custodian: current.item.custodianOrgID).contains(.custodian) else {
            throw RequestError.refused(.notPermitted(action: .deliver))
        }
        guard [.approved, .inProgress].contains(current.item.state) else {
            throw RequestError.refused(.wrongState(action: .deliver, current: current.item.state))
        }
    }

    public func record(_ artifact: Artifact, as caller: Principal) async throws -> Artifact {
        var issues: [ValidationIssue] = []
        if let name = artifact.fileName, name.isEmpty || name.count > 255 || name.contains("/") || name.contains("\\") || name == "." || name == ".." {
            issues.append(ValidationIssue(path: "file_name", message: "1 to 255 characters, no '/' or '\\', not '.' or '..'"))
        }
        issues += Validation.controlIssues(artifact.fileName, path: "file_name")
        issues += Validation.controlIssues(artifact.location, path: "location")
        issues += Validation.controlIssues(artifact.method, path: "method")
        if artifact.sha256.count != 64 || !artifact.sha256.allSatisfy(\.isHexDigit) || artifact.sha256.lowercased() != artifact.sha256 {
            issues.append(ValidationIssue(path: "sha256", message: "64 lower-case hexadecimal digits"))
        }
        if artifact.kind == .handover {
            for (path, value) in [("location", artifact.location), ("method", artifact.method)]
            where (value ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                issues.append(ValidationIssue(path: path, message: "required for a hand-over record"))
            }
        }
        if !issues.isEmpty { throw RequestError.invalid(issues) }
        return try await database.withCaller(caller) { connection in
            try await checkEvidence(item: artifact.itemID, of: artifact.requestID, caller: caller, on: connection)
            try await connection.checkedQuery("""
                INSERT INTO artifacts (id, request_id, item_id, kind, file_name, media_type, size, sha256, storage_key, location, method,
                                       created_by, created_at)
                VALUES (\(artifact.id.rawValue), \(artifact.requestID.rawValue), \(artifact.itemID.rawValue), \(artifact.kind.rawValue),
                        \(artifact.fileName), \(artifact.mediaType), \(artifact.size), \(artifact.sha256), \(artifact.storageKey),
                        \(artifact.location), \(artifact.method), \(caller.name), \(artifact.createdAt))
                """, logger: database.logger)
            return artifact
        }
    }

    public func artifacts(of request: RequestID, as caller: Principal) async throws -> [Artifact] {
        try await database.withCaller(caller) { connection in
            _ = try await fetchRequest(request, on: connection)
            return try await fetchArtifacts(of: request, on: connection)
        }
    }

    func fetchArtifacts(of request: RequestID, on connection: PostgresConnection) async throws -> [Artifact] {
        let rows = try await connection.checkedQuery("""
            SELECT \(unescaped: RequestRows.artifactColumns) FROM artifacts a WHERE a.request_id = \(request.rawValue) ORDER BY a.created_at, a.id
            """, logger: database.logger)
        var artifacts: [Artifact] = []
        for try await row in rows { artifacts.append(try RequestRows.artifact(row.makeRandomAccess())) }
        return artifacts
    }

    public func artifactForDownload(_ id: ArtifactID, of request: RequestID, as caller: Principal) async throws -> Artifact {
        try await database.withCaller(caller) { connection in
            let found = try await fetchRequest(request, on: connection)
            guard let artifact = try await fetchArtifacts(of: request, on: connection).first(where: { $0.id == id }) else {
                throw RequestError.notFound(kind: "artifact", id: id.description)
            }
            guard caller.mayDownloadEvidence(requesterOrg: found.requesterOrgID) else {
                throw RequestError.forbidden("only the requesting team downloads evidence; others see its metadata")
            }
            guard artifact.kind == .upload else {
                throw RequestError.invalid([ValidationIssue(path: "artifact", message: "a hand-over record has no content to download")])
            }
            if let purgedAt = artifact.purgedAt { throw RequestError.purged(artifact.id, at: purgedAt) }
            // Recorded before the first byte leaves: an access is logged even if the client aborts.
            try await connection.checkedQuery("""
                SELECT audit_append(\(caller.name), 'artifact.download', 'artifact', \(id.description), NULL,
                                    jsonb_build_object('request', \(request.description), 'sha256', \(artifact.sha256)))
                """, logger: database.logger)
            return artifact
        }
    }

    public func custody(of request: RequestID, as caller: Principal, now: Date) async throws -> CustodyManifest {
        let (found, artifacts, commentIDs) = try await database.withCaller(caller) { connection in
            let found = try await fetchRequest(request, on: connection)
            let artifacts = try await fetchArtifacts(of: request, on: connection)
            let rows = try await connection.checkedQuery("SELECT id FROM request_comments WHERE request_id = \(request.rawValue)", logger: database.logger)
            var comments: [String] = []
            for try await id in rows.decode(UUID.self) { comments.append(id.uuidString.lowercased()) }
            return (found, artifacts, comments)
        }
        return try await manifest(of: found, artifacts: artifacts, commentIDs: commentIDs, now: now)
    }

    public func page(of request: RequestID, as caller: Principal, now: Date) async throws -> RequestRecord {
        let (found, history, comments, artifacts) = try await database.withCaller(caller) { connection in
            (try await fetchRequest(request, on: connection), try await fetchHistory(of: request, on: connection),
             try await fetchComments(on: request, on: connection), try await fetchArtifacts(of: request, on: connection))
        }
        return RequestRecord(request: found, history: history, comments: comments, artifacts: artifacts,
                             custody: try await manifest(of: found, artifacts: artifacts, commentIDs: comments.map { $0.id.uuidString.lowercased() }, now: now))
    }

    /// How the custody manifest names the audit events of an artifact.
    static let accessNames = ["artifact.create": "upload", "artifact.download": "download", "artifact.purge": "purge"]

    /// Sets how many days after closing the request's evidence is kept (nil: the service's default) and places a
    /// legal hold with `legalHold` as its reason or lifts it (nil); a hold kept with the same reason keeps who placed
    /// it and when. One audited update, as the caller.
    public func setRetention(of request: RequestID, days: Int?, legalHold reason: String?, now: Date,
                             as caller: Principal) async throws -> RetrievalRequest {
        let issues = RequestRetention.validate(days: days, legalHoldReason: reason)
        guard issues.isEmpty else { throw RequestError.invalid(issues) }
        return try await database.withCaller(caller) { connection in
            let found = try await fetchRequest(request, on: connection)
            guard caller.mayGovernEvidence(requesterOrg: found.requesterOrgID) else {
                throw RequestError.forbidden("only the requesting team and admins decide how long its evidence is kept")
            }
            let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
            try await connection.checkedQuery("""
                UPDATE requests SET
                    evidence_retention_days = \(days),
                    legal_hold_by = CASE WHEN \(reason)::text IS NULL THEN NULL
                                         WHEN legal_hold_reason = \(reason) THEN legal_hold_by ELSE \(caller.name) END,
                    legal_hold_at = CASE WHEN \(reason)::text IS NULL THEN NULL
                                         WHEN legal_hold_reason = \(reason) THEN legal_hold_at ELSE \(now) END,
                    legal_hold_reason = \(reason)
                WHERE id = \(request.rawValue)
                """, logger: database.logger)
            return try await fetchRequest(request, on: connection)
        }
    }

    public func teamRetention(of team: OrgID, as caller: Principal) async throws -> Int? {
        guard caller.mayReadTeamRetention(of: team) else {
            throw RequestError.forbidden("only the team, auditors and admins read its evidence retention")
        }
        return try await database.withCaller(caller) { connection in
            let rows = try await connection.checkedQuery("""
                SELECT EXISTS (SELECT 1 FROM orgs WHERE id = \(team.rawValue)), team_evidence_retention_days(\(team.rawValue))
                """, logger: database.logger)
            for try await (exists, days) in rows.decode((Bool, Int?).self) {
                guard exists else { throw RequestError.notFound(kind: "organisation", id: team.rawValue) }
                return days
            }
            return nil
        }
    }

    public func setTeamRetention(of team: OrgID, days: Int?, as caller: Principal) async throws -> Int? {
        let issues = RequestRetention.validate(days: days, legalHoldReason: nil)
        guard issues.isEmpty else { throw RequestError.invalid(issues) }
        guard caller.mayGovernEvidence(requesterOrg: team) else {
            throw RequestError.forbidden("only the team's CSIRT members and admins decide how long its evidence is kept")
        }
        return try await database.withCaller(caller) { connection in
            for try await found in try await connection.checkedQuery("SELECT set_team_evidence_retention(\(team.rawValue), \(days)::integer)",
                                                                     logger: database.logger).decode(Bool.self) where !found {
                throw RequestError.notFound(kind: "organisation", id: team.rawValue)
            }
            return days
        }
    }

    /// The custody manifest of a request whose artifacts and comments the caller may see.
    func manifest(of found: RetrievalRequest, artifacts: [Artifact], commentIDs: [String], now: Date) async throws -> CustodyManifest {
        let request = found.id
        // The audit trail is read as the owner, limited to the objects the caller was allowed to see above.
        let objects = [request.description] + found.items.map(\.id.description) + artifacts.map(\.id.description) + commentIDs
        let events = try await AuditTrail(database: database).events(objectIDs: objects,
                                                                     types: ["request", "request-item", "artifact", "comment"])
        let entries = artifacts.map { artifact in
            CustodyManifest.Entry(artifact: artifact, accesses: events.filter { $0.objectType == "artifact" && $0.objectID == artifact.id.description }
                .compactMap { event in
                    Self.accessNames[event.action].map { CustodyManifest.Access(action: $0, actor: event.actor, at: event.occurredAt, auditSeq: event.seq) }
                })
        }
        let trail = AuditTrail(database: database)
        // Only this request's events are checked against their neighbours in the chain: O(its events), not O(trail).
        let intact = if case .intact = try await trail.verify(events) { true } else { false }
        return CustodyManifest(requestID: request, incidentReference: found.draft.incidentReference, entries: entries, events: events,
                               chainIntact: intact, chainHead: try await trail.head(), generatedAt: now)
    }
}
