import Foundation
import LogAtlasCore
import OpenAPIRuntime

/// Standing retrieval agreements: proposed by either side, active once both accept the current version.
extension LogAtlasAPI {
    func listAgreements(_ input: Operations.ListAgreements.Input) async throws -> Operations.ListAgreements.Output {
        let caller = try RequestPrincipal.required(), now = clock()
        let found = try await agreements.agreements(custodian: input.query.custodianOrg.map { OrgID($0) },
                                                    csirt: input.query.csirtOrg.map { OrgID($0) }, as: caller)
        let status = input.query.status.map { AgreementStatus(rawValue: $0.rawValue)! }
        return .ok(.init(body: .json(.init(items: found.filter { status == nil || $0.status(now: now) == status }
            .map { APIMapping.agreement($0, now: now) }))))
    }

    func proposeAgreement(_ input: Operations.ProposeAgreement.Input) async throws -> Operations.ProposeAgreement.Output {
        let body = switch input.body { case .json(let body): body }
        let agreement = try await agreements.propose(custodian: OrgID(body.custodianOrg), csirt: OrgID(body.csirtOrg),
                                                     terms: APIMapping.terms(body.terms), as: try RequestPrincipal.required(), now: clock())
        return .created(.init(body: .json(APIMapping.agreement(agreement, now: clock()))))
    }

    func getAgreement(_ input: Operations.GetAgreement.Input) async throws -> Operations.GetAgreement.Output {
        let (current, previous) = try await agreements.agreement(try Self.agreementID(input.path.agreementId), as: try RequestPrincipal.required())
        return .ok(.init(body: .json(APIMapping.agreement(current, now: clock(), previous: previous))))
    }

    func reviseAgreement(_ input: Operations.ReviseAgreement.Input) async throws -> Operations.ReviseAgreement.Output {
        let body = switch input.body { case .json(let body): body }
        let revised = try await agreements.revise(try Self.agreementID(input.path.agreementId), version: body.version,
                                                  terms: APIMapping.terms(body.terms), as: try RequestPrincipal.required(), now: clock())
        return .ok(.init(body: .json(APIMapping.agreement(revised, now: clock()))))
    }

    func acceptAgreement(_ input: Operations.AcceptAgreement.Input) async throws -> Operations.AcceptAgreement.Output {
        let body = switch input.body { case .json(let body): body }
        let accepted = try await agreements.accept(try Self.agreementID(input.path.agreementId), version: body.version,
                                                   side: body.side.map { AgreementSide(rawValue: $0.rawValue)! },
                                                   as: try RequestPrincipal.required(), now: clock())
        return .ok(.init(body: .json(APIMapping.agreement(accepted, now: clock()))))
    }

    func withdrawAgreement(_ input: Operations.WithdrawAgreement.Input) async throws -> Operations.WithdrawAgreement.Output {
        let withdrawn = try await agreements.withdraw(try Self.agreementID(input.path.agreementId), as: try RequestPrincipal.required(), now: clock())
        return .ok(.init(body: .json(APIMapping.agreement(withdrawn, now: clock()))))
    }

    /// A path segment that is not a UUID names no agreement.
    static func agreementID(_ raw: String) throws -> AgreementID {
        guard let id = UUID(uuidString: raw) else { throw AgreementError.notFound(raw) }
        return AgreementID(id)
    }
}

extension APIMapping {
    static func terms(_ body: Components.Schemas.AgreementTerms) -> AgreementTerms {
        AgreementTerms(
            scope: AgreementScope(systemIDs: (body.scope?.systems ?? []).map { SystemID($0) }, logTypes: body.scope?.logTypes ?? [],
                                  tags: body.scope?.tags ?? []),
            incidentTypes: (body.incidentTypes ?? []).compactMap { IncidentType(rawValue: $0.rawValue) },
            minimumSeverity: Priority(rawValue: body.minimumSeverity.rawValue)!, maxWindowDays: body.maxWindowDays,
            deliveryMethod: DeliveryMethod(rawValue: body.deliveryMethod.rawValue)!, promisedLeadHours: body.promisedLeadHours,
            validFrom: body.validFrom, validUntil: body.validUntil, approverName: body.approver.name, approverRole: body.approver.role,
            legalBasis: body.legalBasis)
    }

    static func agreement(_ agreement: RetrievalAgreement, now: Date, previous: [RetrievalAgreement]? = nil) -> Components.Schemas.Agreement {
        let terms = agreement.terms
        func signature(_ signature: AgreementSignature?) -> Components.Schemas.AgreementSignature? {
            signature.map { .init(by: $0.by, at: $0.at) }
        }
        return .init(
            id: agreement.id.description, version: agreement.version, custodianOrg: agreement.custodianOrgID.rawValue,
            csirtOrg: agreement.csirtOrgID.rawValue, status: .init(rawValue: agreement.status(now: now).rawValue)!,
            lapsingSoon: agreement.isLapsingSoon(now: now),
            terms: .init(scope: .init(systems: terms.scope.systemIDs.map(\.rawValue), logTypes: terms.scope.logTypes, tags: terms.scope.tags),
                         incidentTypes: terms.incidentTypes.map { .init(rawValue: $0.rawValue)! },
                         minimumSeverity: .init(rawValue: terms.minimumSeverity.rawValue)!, maxWindowDays: terms.maxWindowDays,
                         deliveryMethod: .init(rawValue: terms.deliveryMethod.rawValue)!, promisedLeadHours: terms.promisedLeadHours,
                         validFrom: terms.validFrom, validUntil: terms.validUntil,
                         approver: .init(name: terms.approverName, role: terms.approverRole), legalBasis: terms.legalBasis),
            custodianAccepted: signature(agreement.custodianAcceptance), csirtAccepted: signature(agreement.csirtAcceptance),
            withdrawn: signature(agreement.withdrawal), createdBy: agreement.createdBy, createdAt: agreement.createdAt,
            previousVersions: previous?.map { self.agreement($0, now: now) })
    }
}
