import Foundation
import LogAtlasCore
@testable import LogAtlasStore
import Testing
import TestSupport

/// The store's direct JSON writer and column reader must agree with `JSONEncoder`/`JSONDecoder` exactly.
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

    /// Decoded back and re-encoded with sorted keys, so that two JSON texts of the same records compare equal.
    static func canonical(_ json: Data) throws -> String {
        let records = try JSONDecoder().decode([PostgresGapReportRepository.FindingRecord].self, from: json)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(records), as: UTF8.self)
    }

    @Test("findings written directly read back the same as JSONEncoder's")
    func findingRecords() throws {
        let direct = PostgresGapReportRepository.FindingRecord.json(Self.findings)
        let encoded = try JSONEncoder().encode(Self.findings.map(PostgresGapReportRepository.FindingRecord.init))
        #expect(try Self.canonical(Data(direct.utf8)) == Self.canonical(encoded))
        #expect(PostgresGapReportRepository.FindingRecord.json([Finding]()) == "[]")
    }

    @Test("stored findings read back by the fast reader as JSONDecoder reads them")
    func storedFindingsReadBack() throws {
        let json = PostgresGapReportRepository.FindingRecord.json(Self.findings)
        let fast = try PostgresGapReportRepository.FindingRecord.findings(fromJSON: json)
        let slow = try JSONDecoder().decode([PostgresGapReportRepository.FindingRecord].self, from: Data(json.utf8)).map(\.finding)
        #expect(fast == slow)
        #expect(fast.map(\.shortfalls) == Self.findings.map(\.shortfalls))
        #expect(fast.map(\.requirement.title) == Self.findings.map(\.requirement.title))
        #expect(fast.map(\.sourceIDs) == Self.findings.map(\.sourceIDs))
        #expect(fast.map(\.target) == Self.findings.map(\.target))
        // What PostgreSQL's json_agg writes (spaces, escaped solidus, \u escapes, surrogate pairs) reads the same.
        let postgresStyle = #"[{"policy_id" : "p", "requirement_id" : "r\/1", "requirement_title" : "caf\u00e9 \ud83d\ude00 \"q\"", "clause" : "c", "target_kind" : "org", "target_id" : "it", "org_id" : "it", "status" : "missing", "shortfalls" : [{"kind": "log_types_missing", "types": ["network.dns"]}], "shortfall_types" : ["network.dns"], "source_ids" : [], "incident_types" : [100], "weight" : 1}]"#
        let read = try PostgresGapReportRepository.FindingRecord.findings(fromJSON: postgresStyle)
        #expect(read == (try JSONDecoder().decode([PostgresGapReportRepository.FindingRecord].self, from: Data(postgresStyle.utf8)).map(\.finding)))
        #expect(read.first?.requirement.title == "café 😀 \"q\"")
        #expect(read.first?.requirement.id == "r/1")
    }

    @Test("every shortfall round-trips through its stored form")
    func shortfalls() throws {
        for shortfall in Self.findings[0].shortfalls {
            #expect(try JSONDecoder().decode(Shortfall.self, from: JSONEncoder().encode(shortfall)) == shortfall)
        }
    }

    @Test("retention tiers and access procedures read as JSONDecoder reads them", arguments: [
        #"[{"days": 90, "medium": "siem", "searchable": true, "retrieval_hours": 1}, {"days": 400, "medium": "tape", "searchable": false}]"#,
        #"[{"days": 30, "medium": "nas", "searchable": false, "retrieval_hours": null}]"#,
        #"[]"#,
        #"[{"days": 30.5, "medium": "nas", "searchable": false}]"#,
    ])
    func tiers(_ text: String) throws {
        let expected = Result { try JSONDecoder().decode([RetentionTier].self, from: Data(text.utf8)) }
        let got = Result { try ColumnJSON.tiers(text) }
        switch (expected, got) {
        case (.success(let expected), .success(let got)): #expect(got == expected)
        case (.failure, .failure): break
        default: Issue.record("ColumnJSON and JSONDecoder disagree on \(text)")
        }
    }

    @Test("access procedures, with escapes left to JSONDecoder", arguments: [
        #"{"steps": "open a ticket", "contact": "soc@vendor.example", "delivery": "vendor-ticket", "approvals": ["csirt-lead"], "lead_time_hours": 48}"#,
        #"{"approvals": []}"#,
        #"{"steps": "line one\nline \"two\"", "approvals": ["a\\b"], "delivery": "file-export"}"#,
        #"{"approvals": [], "delivery": "carrier-pigeon"}"#,
    ])
    func access(_ text: String) throws {
        let expected = Result { try JSONDecoder().decode(AccessProcedure.self, from: Data(text.utf8)) }
        let got = Result { try ColumnJSON.accessProcedure(text) }
        switch (expected, got) {
        case (.success(let expected), .success(let got)): #expect(got == expected)
        case (.failure, .failure): break
        default: Issue.record("ColumnJSON and JSONDecoder disagree on \(text)")
        }
    }

    @Test("request items written directly read back the same as JSONEncoder's")
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
            let direct = RequestRows.ItemRecord.json(records)
            let encoded = try RequestRows.encoder.encode(records)
            // Compared as what they mean: decoded (dates to the microsecond, numbers as numbers) and re-encoded sorted.
            func canonical(_ json: Data) throws -> String {
                let decoded = try RequestRows.decoder.decode([RequestRows.ItemRecord].self, from: json)
                let encoder = RequestRows.encoder
                encoder.outputFormatting = .sortedKeys
                defer { encoder.outputFormatting = [] }
                return String(decoding: try encoder.encode(decoded), as: UTF8.self)
            }
            #expect(try canonical(Data(direct.utf8)) == canonical(encoded))
            let decoded = try RequestRows.decoder.decode([RequestRows.ItemRecord].self, from: Data(direct.utf8))
            #expect(decoded.map(\.feasibility) == items.map(\.feasibility))
            #expect(decoded.map(\.requester_org_id) == records.map(\.requester_org_id))
        }
        #expect(RequestRows.ItemRecord.json([]) == "[]")
    }
}
