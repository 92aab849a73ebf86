import Foundation
import LogAtlasCore
@testable import LogAtlasStore
import Testing
import TestSupport

/// What the store hands PostgreSQL as JSON reads back as the same values, awkward texts and all.
@Suite("Store JSON codecs")
struct StoreCodecTests {
    static let awkward = "quote \" backslash \\ newline \n tab \t bell \u{7} café 日本"

    static let findings: [Finding] = {
        let shortfalls: [Shortfall] = [
            .retention(have: 30, need: 365, attested: true), .searchable(have: 7, need: 90),
            .retrieval(hours: 72.5, limit: 24, medium: .tape, windowDays: 365), .measuredRetrieval(hours: 0.1, limit: 1e-5, samples: 4),
            .fieldsMissing(["user", awkward]), .clockNotSynchronised, .attestationMissing, .attestationStale(ageDays: 400, limit: 365),
            .attestationDrift(declared: 365, attested: 40), .logTypesMissing(["network.dns", "network.dhcp"]),
        ]
        let requirement = Requirement(id: "req-\(awkward)", title: awkward, clause: "PCI DSS 10.5.1", appliesTo: TargetSelector(),
                                      logTypes: .anyOf(["network.dns"]), incidentTypes: [.unauthorisedAccess, .malware], weight: 2.5)
        return [
            Finding(policyID: "pci-dss-4", requirement: requirement, target: Target(kind: .system, id: "web", orgID: OrgID("it")),
                    status: .partial, shortfalls: shortfalls, sourceIDs: [LogSourceID(), LogSourceID()],
                    shortfallLogTypes: shortfalls.map { _ in "network.dns" }),
            Finding(policyID: "ir-baseline", requirement: requirement, target: Target(kind: .org, id: "it", orgID: OrgID("it")),
                    status: .met, shortfalls: [], sourceIDs: [], shortfallLogTypes: []),
        ]
    }()

    @Test("stored findings read back the same, also as PostgreSQL's json_agg writes them")
    func storedFindingsReadBack() throws {
        let json = try RecordJSON.array(Self.findings.map(PostgresGapReportRepository.FindingRecord.init))
        let read = try PostgresGapReportRepository.FindingRecord.findings(fromJSON: json)
        #expect(read.map(\.shortfalls) == Self.findings.map(\.shortfalls))
        #expect(read.map(\.requirement.title) == Self.findings.map(\.requirement.title))
        #expect(read.map(\.sourceIDs) == Self.findings.map(\.sourceIDs))
        #expect(read.map(\.target) == Self.findings.map(\.target))
        #expect(read.map(\.status) == Self.findings.map(\.status))
        // Spaces, an escaped solidus, \u escapes and surrogate pairs.
        let postgresStyle = #"[{"policy_id" : "p", "requirement_id" : "r\/1", "requirement_title" : "caf\u00e9 \ud83d\ude00 \"q\"", "clause" : "c", "target_kind" : "org", "target_id" : "it", "org_id" : "it", "status" : "missing", "shortfalls" : [{"kind": "log_types_missing", "types": ["network.dns"]}], "shortfall_types" : ["network.dns"], "source_ids" : [], "incident_types" : [100], "weight" : 1}]"#
        let fromPostgres = try PostgresGapReportRepository.FindingRecord.findings(fromJSON: postgresStyle)
        #expect(fromPostgres.first?.requirement.title == "café 😀 \"q\"")
        #expect(fromPostgres.first?.requirement.id == "r/1")
        #expect(fromPostgres.first?.shortfalls == [.logTypesMissing(["network.dns"])])
    }

    @Test("every shortfall round-trips through its stored form")
    func shortfalls() throws {
        for shortfall in Self.findings[0].shortfalls {
            #expect(try JSONDecoder().decode(Shortfall.self, from: JSONEncoder().encode(shortfall)) == shortfall)
        }
    }

    @Test("request items read back the same, dates to the microsecond")
    func requestItems() throws {
        let now = Date(timeIntervalSince1970: 1_790_000_123.456789)
        // Searchable, slow and expired stretches, a hold, a lead time, a procedure-less source, awkward texts.
        var firewall = Fixtures.firewall()
        firewall.retentionTiers = [RetentionTier(medium: .siem, days: 10, isSearchable: true, retrievalHours: 0.5),
                                   RetentionTier(medium: .tape, days: 40, isSearchable: false, retrievalHours: 72)]
        var bare = Fixtures.firewall(name: Self.awkward)
        bare.accessProcedure = nil
        bare.retentionTiers = [RetentionTier(medium: .nas, days: 400, isSearchable: false)]
        let window = TimeWindow(from: now.addingTimeInterval(-60 * 86_400), to: now.addingTimeInterval(-86_400))
        var feasibilities = [firewall, bare].map { Feasibility.of($0, window: window, now: now, deliverDue: now.addingTimeInterval(30 * 86_400)) }
        feasibilities[1].warnings.append(Self.awkward)
        #expect(feasibilities[0].hold != nil && feasibilities[0].segments.map(\.availability).contains(.expired))
        let items = [
            RequestItem(custodianOrgID: Fixtures.deptA, sourceIDs: [firewall.id, bare.id], acknowledgeDue: now.addingTimeInterval(3_600.25),
                        deliverDue: now.addingTimeInterval(86_400), preserveBefore: now.addingTimeInterval(0.000001), feasibility: feasibilities),
            RequestItem(custodianOrgID: OrgID(Self.awkward), sourceIDs: [], acknowledgeDue: now, deliverDue: now),
        ]
        for requester in [Fixtures.csirtOrg, nil] {
            let records = items.map { RequestRows.ItemRecord($0, requesterOrg: requester) }
            let json = try RequestRows.json(records)
            let decoded = try RequestRows.decoder.decode([RequestRows.ItemRecord].self, from: Data(json.utf8))
            #expect(decoded.map(\.feasibility) == items.map(\.feasibility))
            #expect(decoded.map(\.requester_org_id) == records.map(\.requester_org_id))
            #expect(decoded.map(\.acknowledge_due) == records.map(\.acknowledge_due))
            #expect(decoded.map(\.preserve_before) == records.map(\.preserve_before))
        }
    }
}
