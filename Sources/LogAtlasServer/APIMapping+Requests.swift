import Foundation
import LogAtlasCore

/// Translations between the broker's domain values and the generated API types.
extension APIMapping {
    static func draft(_ body: Components.Schemas.RequestDraft) throws -> RequestDraft {
        var issues: [ValidationIssue] = []
        let sources = body.sources.enumerated().compactMap { index, raw -> LogSourceID? in
            guard let id = UUID(uuidString: raw) else {
                issues.append(ValidationIssue(path: "sources[\(index)]", message: "not a source id (UUID)"))
                return nil
            }
            return LogSourceID(id)
        }
        if !issues.isEmpty { throw RequestError.invalid(issues) }
        return RequestDraft(incidentReference: body.incidentReference, purpose: body.purpose,
                            priority: Priority(rawValue: body.priority.rawValue)!,
                            window: TimeWindow(from: body.window.from, to: body.window.to),
                            hints: FilterHints(hosts: body.hints?.hosts ?? [], users: body.hints?.users ?? [], ips: body.hints?.ips ?? [],
                                               text: body.hints?.text),
                            sourceIDs: sources, incidentType: body.incidentType.flatMap { IncidentType(rawValue: $0.rawValue) })
    }

    /// A request as `caller` sees it at `now`; `events` only for the detail view; `retention` (the service's evidence
    /// retention) for a filed request, nil for a preview.
    static func request(_ request: RetrievalRequest, caller: Principal, now: Date, events: [ItemEvent]? = nil,
                        retention: EvidenceRetentionPolicy?) -> Components.Schemas.RetrievalRequest {
        let filed = retention != nil
        let draft = request.draft
        return .init(
            id: filed ? request.id.description : nil, incidentReference: draft.incidentReference, purpose: draft.purpose,
            priority: .init(rawValue: draft.priority.rawValue)!, window: .init(from: draft.window.from, to: draft.window.to),
            hints: .init(hosts: draft.hints.hosts, users: draft.hints.users, ips: draft.hints.ips, text: draft.hints.text),
            requesterOrg: request.requesterOrgID?.rawValue, requestedBy: request.requestedBy, filedAt: request.filedAt,
            incidentType: draft.incidentType?.rawValue,
            // Derived from the items the caller sees: a custodian must not read warnings about other organisations' sources.
            warnings: request.itemWarnings,
            items: request.items.map { item(item: $0, requesterOrg: request.requesterOrgID, caller: caller, now: now) },
            events: events?.map {
                .init(item: $0.itemID.description, action: $0.action.rawValue, from: $0.from.rawValue, to: $0.to.rawValue,
                      actor: $0.actor, note: $0.note, at: $0.at)
            },
            evidenceRetention: retention.map { Self.retention(request.retention, policy: $0) })
    }

    static func item(item: RequestItem, requesterOrg: OrgID?, caller: Principal, now: Date) -> Components.Schemas.RequestItem {
        let parties = caller.parties(requesterOrg: requesterOrg, custodian: item.custodianOrgID)
        let preservation = item.preserveBefore.map { before in
            before <= now
                ? "Preserve now: records of the requested window are already leaving a retention tier."
                : "Preserve before \(Feasibility.format(before)): records of the requested window leave a retention tier then."
        }
        return .init(
            id: item.id.description, custodianOrg: item.custodianOrgID.rawValue, sources: item.sourceIDs.map(\.description),
            state: .init(rawValue: item.state.rawValue)!, preservation: item.state.awaitsDelivery ? preservation : nil,
            preserveBefore: item.preserveBefore, acknowledgeDue: item.acknowledgeDue, deliverDue: item.deliverDue,
            overdue: item.isOverdue(now: now), acknowledgedAt: item.acknowledgedAt, deliveredAt: item.deliveredAt,
            rejectReason: item.rejectReason, outcome: item.outcome, evidence: item.evidenceCount,
            availableActions: ItemStateMachine.available(to: parties, state: item.state).filter { $0 != .expire }.map(\.rawValue),
            feasibility: item.feasibility.map(feasibility), version: item.version, feasibleBy: item.feasibleBy,
            dueDateUnreachable: item.dueDateUnreachable, dueDateWarning: item.dueDateWarning,
            agreement: item.agreement.map { .init(id: $0.id.description, version: $0.version, promisedLeadHours: $0.promisedLeadHours) },
            dueDateProposal: item.proposal.map { .init(deliverDue: $0.deliverDue, reason: $0.reason, proposedBy: $0.proposedBy, proposedAt: $0.proposedAt) })
    }

    static func feasibility(_ prediction: SourceFeasibility) -> Components.Schemas.SourceFeasibility {
        .init(source: prediction.sourceID.description, sourceName: prediction.sourceName,
              segments: prediction.segments.map {
                  .init(from: $0.from, to: $0.to, availability: .init(rawValue: $0.availability.rawValue)!,
                        medium: $0.medium?.rawValue, leadHours: $0.leadHours)
              },
              searchableSeconds: prediction.seconds(.searchable), slowSeconds: prediction.seconds(.slow),
              expiredSeconds: prediction.seconds(.expired), preserveBefore: prediction.hold?.before,
              preserveMedium: prediction.hold?.medium.rawValue, preserveIsLoss: prediction.hold?.isLoss)
    }

    static func comment(_ comment: RequestComment) -> Components.Schemas.Comment {
        .init(id: comment.id.uuidString.lowercased(), author: comment.author, authorRole: comment.authorRole.rawValue,
              to: comment.addressedTo?.rawValue, body: comment.body, createdAt: comment.createdAt)
    }

    static func artifact(_ artifact: Artifact) -> Components.Schemas.Artifact {
        .init(id: artifact.id.description, request: artifact.requestID.description, item: artifact.itemID.description,
              kind: .init(rawValue: artifact.kind.rawValue)!, fileName: artifact.fileName, mediaType: artifact.mediaType,
              size: artifact.size, sha256: artifact.sha256, location: artifact.location, method: artifact.method,
              createdBy: artifact.createdBy, createdAt: artifact.createdAt, purgedAt: artifact.purgedAt, purgedBy: artifact.purgedBy)
    }

    static func retention(_ retention: RequestRetention, policy: EvidenceRetentionPolicy) -> Components.Schemas.EvidenceRetention {
        let period = policy.period(of: retention)
        return .init(days: period.days, defaultPeriod: retention.days == nil, period: .init(rawValue: period.source.rawValue), closedAt: retention.closedAt,
              purgeAfter: policy.purgeAfter(retention),
              legalHold: retention.legalHold.map { .init(reason: $0.reason, placedBy: $0.placedBy, placedAt: $0.placedAt) })
    }

    static func custody(_ manifest: CustodyManifest) -> Components.Schemas.CustodyManifest {
        .init(request: manifest.requestID.description, incidentReference: manifest.incidentReference,
              artifacts: manifest.entries.map { entry in
                  .init(artifact: artifact(entry.artifact), accesses: entry.accesses.map {
                      .init(action: .init(rawValue: $0.action)!, actor: $0.actor, at: $0.at, auditSeq: $0.auditSeq)
                  })
              },
              events: manifest.events.map {
                  .init(seq: $0.seq, occurredAt: $0.occurredAt, occurredAtUs: $0.occurredAtMicros, beforeDigest: $0.beforeDigest,
                      afterDigest: $0.afterDigest, actor: $0.actor, action: $0.action, objectType: $0.objectType, objectId: $0.objectID,
                      hash: $0.hash, prevHash: $0.prevHash)
              },
              chainIntact: manifest.chainIntact, chainHead: manifest.chainHead, generatedAt: manifest.generatedAt)
    }

    /// A path segment that must be a UUID; anything else is simply not found.
    static func uuid(_ raw: String, kind: String) throws -> UUID {
        guard let id = UUID(uuidString: raw) else { throw InputError.unknownID(kind: kind, id: raw) }
        return id
    }
}
