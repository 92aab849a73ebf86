import Foundation
import HTTPTypes
import Testing
import TestSupport

/// #17: `POST /v1/detections/sigma` — rule files uploaded as multipart parts, judged on what the caller may see.
@Suite("Sigma rule readiness over the API")
struct SigmaAPITests {
    static let rules: [(String, String)] = [
        ("fw_scan.yml", "title: Port scan\nid: r-fw\nlogsource: {category: firewall}\ndetection: {condition: x}\nlevel: high\n"),
        ("lnx_sshd.yml", "title: SSH brute force\nid: r-ssh\nlogsource: {product: linux, service: sshd}\ndetection: {condition: x}\nlevel: critical\n"),
        ("win_sec.yml", "title: Odd logon\nid: r-win\nlogsource: {product: windows, service: security}\ndetection: {condition: x}\nlevel: medium\n"),
        ("broken.yml", "title: Broken\nlogsource: {category: firewall}\ndetection: {condition: x}\nlevel: severe\n"),
    ]

    /// A multipart/form-data body with one part named `name` per file, typed as curl and browsers type YAML files.
    static func multipart(_ files: [(String, String)], name: String = "rules", fields: [(String, String)] = []) -> (String, String) {
        let boundary = "la-boundary-\(UUID().uuidString)"
        var body = fields.map { "--\(boundary)\r\nContent-Disposition: form-data; name=\"\($0.0)\"\r\n\r\n\($0.1)\r\n" }.joined()
        for (index, (file, text)) in files.enumerated() {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(file)\"\r\n"
            body += ["Content-Type: application/octet-stream\r\n", "Content-Type: application/x-yaml\r\n", ""][index % 3] + "\r\n\(text)\r\n"
        }
        return (body + "--\(boundary)--\r\n", "multipart/form-data; boundary=\(boundary)")
    }

    static func verdicts(_ reply: TestWorld.Reply) -> [String: String] {
        Dictionary(uniqueKeysWithValues: (reply.json["rules"] as? [[String: Any]] ?? []).map { ($0["id"] as! String, $0["verdict"] as! String) })
    }

    @Test func rulesAreJudgedOnTheInventoryTheCallerSees() async throws {
        try await withTestApp { world in
            let (body, type) = Self.multipart(Self.rules)
            let csirt = try await world.send(.post, "/v1/detections/sigma", as: "cyd", body: body, contentType: type)
            #expect(csirt.status == 200, "\(csirt.text)")
            #expect(Self.verdicts(csirt) == ["r-fw": "runnable", "r-ssh": "slower-media", "r-win": "cannot-run"])
            let firewall = (csirt.json["rules"] as? [[String: Any]])?.first { $0["id"] as? String == "r-fw" }
            #expect(firewall?["look_back_days"] as? Int == 90)
            let unreadable = csirt.json["unreadable"] as? [[String: Any]]
            #expect(unreadable?.first?["file"] as? String == "broken.yml" && unreadable?.first?["line"] as? Int == 4, "\(csirt.text)")
            #expect((csirt.json["unlocks"] as? [[String: Any]])?.first?["log_type"] as? String == "host.windows-security")

            // The custodian of dept-a does not see vendor-b's sshd log: for it that rule cannot run.
            let custodian = try await world.send(.post, "/v1/detections/sigma", as: "cus-a", body: body, contentType: type)
            #expect(Self.verdicts(custodian) == ["r-fw": "runnable", "r-ssh": "cannot-run", "r-win": "cannot-run"])
            #expect(!custodian.text.contains("vendor"), "\(custodian.text)")

            let markdown = try await world.send(.post, "/v1/detections/sigma?format=md", as: "aud", body: body, contentType: type)
            #expect(markdown.status == 200 && markdown.text.contains("runs now, 90 days back"), "\(markdown.text)")
        }
    }

    /// `files` as a `.tar.gz`, written by tar.
    static func archive(_ files: [(String, String)]) throws -> [UInt8] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("la-sigma-api-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        for (path, text) in files {
            let url = folder.appendingPathComponent("pack/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tar.arguments = ["tar", "-czf", folder.appendingPathComponent("pack.tar.gz").path, "-C", folder.path, "pack"]
        try tar.run()
        tar.waitUntilExit()
        return Array(try Data(contentsOf: folder.appendingPathComponent("pack.tar.gz")))
    }

    @Test func aPackUploadedAsTarGzIsJudgedLikeItsFiles() async throws {
        try await withTestApp { world in
            let deprecated = ("deprecated/old.yml", "title: Old\nid: r-old\nlogsource: {category: firewall}\ndetection: {condition: x}\n")
            let gzip: HTTPFields = [.contentType: "application/gzip"]
            let reply = try await world.send(.post, "/v1/detections/sigma", as: "cyd", bytes: try Self.archive(Self.rules + [deprecated]), headers: gzip)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(Self.verdicts(reply) == ["r-fw": "runnable", "r-ssh": "slower-media", "r-win": "cannot-run"])
            let unreadable = reply.json["unreadable"] as? [[String: Any]]
            #expect(unreadable?.first?["file"] as? String == "pack/broken.yml" && unreadable?.first?["line"] as? Int == 4, "\(reply.text)")
            #expect((reply.json["skipped"] as? [String: Int]) == ["deprecated": 1], "\(reply.text)")

            // A damaged archive is a 400 saying so; one that would unpack past the limit a 413; neither is judged.
            let damaged = try await world.send(.post, "/v1/detections/sigma", as: "cyd", bytes: Array("not gzip".utf8), headers: gzip)
            #expect(damaged.status == 400 && damaged.contentType == "application/problem+json" && damaged.text.contains("gzip"), "\(damaged.text)")
            let bomb = try await world.send(.post, "/v1/detections/sigma", as: "cyd", bytes: try Self.zeros(65 << 20), headers: gzip)
            #expect(bomb.status == 413 && bomb.text.contains("decompressed"), "\(bomb.text)")
        }
    }

    /// `count` zero bytes, gzip-compressed by gzip itself (a few tens of kilobytes).
    static func zeros(_ count: Int) throws -> [UInt8] {
        let gzip = Process(), output = Pipe()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "head -c \(count) /dev/zero | gzip -c"]
        gzip.standardOutput = output
        try gzip.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        gzip.waitUntilExit()
        return Array(data)
    }

    @Test func aPackWithoutRulesOrOfAnotherTypeIsRefused() async throws {
        try await withTestApp { world in
            let (other, type) = Self.multipart([("notes.txt", "hello")], name: "notes")
            let empty = try await world.send(.post, "/v1/detections/sigma", as: "cyd", body: other, contentType: type)
            #expect(empty.status == 422 && empty.contentType == "application/problem+json", "\(empty.text)")
            // A part without headers (found by contract fuzzing; it was a 500).
            let boundary = "b0undary"
            let headless = try await world.send(.post, "/v1/detections/sigma", as: "cyd", body: "--\(boundary)\r\n[]--\(boundary)--\r\n",
                                                contentType: "multipart/form-data; boundary=\(boundary)")
            #expect(headless.status == 400 && headless.contentType == "application/problem+json", "\(headless.text)")
            let yaml = try await world.send(.post, "/v1/detections/sigma", as: "cyd", body: Self.rules[0].1, contentType: "application/yaml")
            #expect(yaml.status == 415, "\(yaml.text)")
            #expect(try await world.send(.post, "/v1/detections/sigma", as: nil, body: other, contentType: type).status == 401)
        }
    }
}
