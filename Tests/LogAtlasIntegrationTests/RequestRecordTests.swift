import Foundation
import LogAtlasCore
import LogAtlasStore
import Testing
import TestSupport

/// `page(of:)`, what the console's request page reads in one go, is the same as reading each part on its own, for
/// every role: a custodian's record holds its own item, comments and evidence only.
@Suite("Request record")
struct RequestRecordTests {
    @Test func thePageReadIsTheSameAsEachPartReadOnItsOwn() async throws {
        try await withTestApp { world in
            let filed = try await world.file(["firewall", "auth"])
            let item = filed.items["dept-a"]!
            try await world.approve(filed.id, item: item, as: "cus-a")
            _ = try await world.send(.post, "/v1/requests/\(filed.id)/items/\(item)/artifacts", as: "cus-a", bytes: Array("evidence".utf8))
            _ = try await world.send(.post, "/v1/requests/\(filed.id)/comments", as: "cus-a", json: ["body": "Sent the firewall log."])
            _ = try await world.send(.post, "/v1/requests/\(filed.id)/comments", as: "cus-b", json: ["body": "Vendor here."])
            let repository = PostgresRequestRepository(database: world.database)
            let id = RequestID(try #require(UUID(uuidString: filed.id)))
            let now = Date()
            for caller in [Fixtures.admin, Fixtures.csirt, Fixtures.auditor, Fixtures.custodianA, Fixtures.custodianB] {
                let record = try await repository.page(of: id, as: caller, now: now)
                #expect(record.request == (try await repository.request(id, as: caller)), "\(caller.name)")
                #expect(record.history == (try await repository.history(of: id, as: caller)), "\(caller.name)")
                #expect(record.comments == (try await repository.comments(on: id, as: caller)), "\(caller.name)")
                #expect(record.artifacts == (try await repository.artifacts(of: id, as: caller)), "\(caller.name)")
                #expect(record.custody == (try await repository.custody(of: id, as: caller, now: now)), "\(caller.name)")
                #expect(record.custody.chainIntact)
            }
            // The custodian of the other organisation reads neither dept-a's evidence nor its comment.
            let vendor = try await repository.page(of: id, as: Fixtures.custodianB, now: now)
            #expect(vendor.artifacts.isEmpty && vendor.request.items.map(\.custodianOrgID) == [Fixtures.vendorB])
            let csirt = try await repository.page(of: id, as: Fixtures.csirt, now: now)
            #expect(csirt.artifacts.count == 1 && csirt.custody.entries.count == 1 && csirt.comments.count == 2)
        }
    }
}
