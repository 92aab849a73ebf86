import Foundation
import LogAtlasCore
import LogAtlasFormats
import Testing

@Suite("Inventory as code: YAML and CSV")
struct FormatsTests {
    static let valid = """
        orgs:
          - {id: it, name: IT, kind: department}
          - {id: vendor, name: "Vendor, Inc.", kind: vendor, parent: it, contacts: [soc@vendor.example]}
        systems:
          - id: corp-net
            name: Corporate network
            owner_org: it
            criticality: high
            internet_facing: true
            tags: [network]
        sources:
          - system: corp-net
            name: firewall
            log_type: network.firewall
            custodian_org: vendor
            retention_tiers:
              - {medium: siem, days: 90, retrieval_hours: 1}
              - {medium: tape, days: 2555, searchable: false, retrieval_hours: 120}
            access_procedure: {contact: soc@vendor.example, approvals: [privacy-officer], lead_time_hours: 48, delivery: vendor-ticket}
            fields: [time, src_ip]
            clock: {ntp_synced: true, timezone: UTC}
            volume_gb_per_day: 2.5
            notes: "said: \\"keep it\\""
        """

    @Test func decodesEveryField() throws {
        let inventory = try InventoryYAML.decode(Self.valid)
        #expect(inventory.orgs.count == 2 && inventory.orgs[1].parentID == OrgID("it"))
        let source = try #require(inventory.sources.first)
        #expect(source.retentionTiers == [RetentionTier(medium: .siem, days: 90, isSearchable: true, retrievalHours: 1),
                                          RetentionTier(medium: .tape, days: 2555, isSearchable: false, retrievalHours: 120)])
        #expect(source.accessProcedure?.delivery == .vendorTicket)
        #expect(source.clock == Clock(isNTPSynced: true, timezone: "UTC"))
        #expect(source.notes == "said: \"keep it\"")
        #expect(inventory.systems[0].isInternetFacing && inventory.systems[0].criticality == .high)
    }

    @Test func exportReadsBackTheSame() throws {
        let inventory = try InventoryYAML.decode(Self.valid)
        let again = try InventoryYAML.decode(InventoryYAML.encode(inventory))
        #expect(again.orgs == inventory.orgs && again.systems == inventory.systems)
        #expect(zip(again.sources, inventory.sources).allSatisfy { $0.declaresSame(as: $1) })
    }

    @Test("malformed files name line and column", arguments: [
        ("orgs:\n  - {id: it, name: IT, kind: department\n", 3, "YAML syntax"),
        ("orgs:\n  - {id: it, name: IT, kind: departmnt}\n", 2, "unknown kind 'departmnt'; did you mean 'department'?"),
        ("orgs:\n  - {id: it, name: IT, kind: department}\nsystems:\n  - {id: s, name: S, owner_org: it, colour: red}\n", 4, "unknown field 'colour'"),
        ("orgs:\n  - {id: it, name: IT, kind: department}\nsystems:\n  - {id: s, name: S, owner_org: it}\nsources:\n  - {system: s, name: fw, log_type: network.firewal, custodian_org: it}\n", 6, "did you mean 'network.firewall'?"),
        ("orgs:\n  - {id: it, name: IT, kind: department}\nsystems:\n  - {id: s, name: S, owner_org: it}\nsources:\n  - system: s\n    name: fw\n    log_type: network.firewall\n    custodian_org: it\n    retention_tiers:\n      - {medium: siem, days: -3}\n", 11, "days must be between 1"),
        ("orgs:\n  - {id: it, name: IT, kind: department}\nsystems:\n  - {id: s, name: S, owner_org: it}\nsources:\n  - system: s\n    name: fw\n    log_type: network.firewall\n    custodian_org: it\n    retention_tiers:\n      - {medium: tapes, days: 3}\n", 11, "did you mean 'tape'?"),
        ("systems:\n  - {id: s, name: S, owner_org: nobody}\n", 2, "unknown organisation 'nobody'"),
    ])
    func malformed(_ text: String, line: Int, message: String) {
        do {
            _ = try InventoryYAML.decode(text, file: "inv.yaml")
            Issue.record("expected a FormatError")
        } catch let error as FormatError {
            #expect(error.problems.contains { $0.line == line && $0.message.contains(message) }, "\(error)")
            #expect(error.description.hasPrefix("inv.yaml:"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func everyProblemIsReportedNotJustTheFirst() {
        let text = "orgs:\n  - {id: it, name: IT, kind: dept}\n  - {id: x, kind: vendor}\n"
        #expect(throws: FormatError.self) { try InventoryYAML.decode(text) }
        let problems = (try? InventoryYAML.decode(text)).map { _ in [FormatProblem]() } ?? {
            do { _ = try InventoryYAML.decode(text); return [] } catch let error as FormatError { return error.problems } catch { return [] }
        }()
        #expect(problems.count == 2)
        #expect(problems.map(\.line).sorted() == [2, 3])
    }

    static let csv = """
        system,name,log_type,custodian_org,retention,fields,ntp_synced,approvals,notes
        corp-net,firewall,network.firewall,it,siem:90:1;tape:2555:120,time;src_ip,true,privacy-officer,"perimeter, both sites"
        corp-net,dns,network.dns,it,log-server:30;nas:365:8:searchable,,no,,
        """

    @Test func csvRowsBecomeSources() throws {
        let sources = try SourcesCSV.decode(Self.csv)
        #expect(sources.count == 2)
        #expect(sources[0].retentionTiers == [RetentionTier(medium: .siem, days: 90, isSearchable: true, retrievalHours: 1),
                                              RetentionTier(medium: .tape, days: 2555, isSearchable: false, retrievalHours: 120)])
        #expect(sources[0].notes == "perimeter, both sites" && sources[0].fields == ["time", "src_ip"])
        #expect(sources[0].accessProcedure?.approvals == ["privacy-officer"])
        #expect(sources[1].retentionTiers[1] == RetentionTier(medium: .nas, days: 365, isSearchable: true, retrievalHours: 8))
        let again = try SourcesCSV.decode(SourcesCSV.encode(sources))
        #expect(zip(again, sources).allSatisfy { $0.declaresSame(as: $1) })
    }

    @Test func csvProblemsHaveLineAndColumn() {
        let text = "system,name,log_type,custodian_org,retention\ncorp-net,fw,network.firewall,it,siem:90\ncorp-net,dns,network.dnz,it,disk:30\n"
        do {
            _ = try SourcesCSV.decode(text, file: "s.csv")
            Issue.record("expected a FormatError")
        } catch let error as FormatError {
            #expect(error.problems.map { "\($0.line):\($0.column)" }.sorted() == ["3:14", "3:29"], "\(error)")
            #expect(error.description.contains("s.csv:3:29: retention: unknown storage medium 'disk'"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
