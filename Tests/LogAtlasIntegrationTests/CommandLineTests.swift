import Foundation
import LogAtlasStore
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The `logatlas` executable, run as a user would.
@Suite("logatlas command line", .serialized)
struct CommandLineTests {
    struct Run {
        let status: Int32
        let output: String
        let errors: String
    }

    /// The binary `swift build` put next to the test bundle.
    static var binary: URL {
        var folder = Bundle.main.bundleURL
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("logatlas").path), folder.path != "/" {
            folder.deleteLastPathComponent()
        }
        return folder.appendingPathComponent("logatlas")
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], input: String? = nil, binary: URL = binary) throws -> Run {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "DATABASE_URL")
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        let output = out.fileHandleForReading.readDataToEndOfFile(), errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self), errors: String(decoding: errors, as: UTF8.self))
    }

    /// A plain HTTP/1.1 GET over a socket (Foundation on Linux has no synchronous http loading).
    static func get(port: Int, path: String) -> String? {
        try? RawHTTP.exchange(port: port, "GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    }

    static let inventory = """
        orgs:
          - {id: it, name: IT, kind: department}
          - {id: vendor, name: Vendor, kind: vendor}
        systems:
          - {id: corp-net, name: Corporate network, owner_org: it, criticality: high}
        sources:
          - {system: corp-net, name: firewall, log_type: network.firewall, custodian_org: it, retention_tiers: [{medium: siem, days: 90}]}
          - {system: corp-net, name: ids, log_type: network.ids, custodian_org: vendor, retention_tiers: [{medium: vendor-portal, days: 30}]}
        """

    @Test func applyExportTokensAndAudit() async throws {
        let url = try await TestCluster.shared.freshDatabaseURL()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("la-cli-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("inventory.yaml")
        try Self.inventory.write(to: file, atomically: true, encoding: .utf8)
        let db = ["--database-url", url]

        let dry = try Self.run(["apply", "-f", file.path, "--dry-run"] + db)
        #expect(dry.status == 0 && dry.output.contains("dry run: nothing was changed") && dry.output.contains("sources  2 created"), "\(dry)")
        let first = try Self.run(["apply", "-f", file.path] + db)
        #expect(first.status == 0 && first.output.contains("+ source corp-net/firewall"))
        let second = try Self.run(["apply", "-f", file.path] + db, environment: ["LOGATLAS_ACTOR": "ci-bot"])
        #expect(second.output.contains("no changes") && second.output.contains("sources  0 created, 0 updated, 2 unchanged, 0 deleted"))

        let export = try Self.run(["export", "--format", "yaml"] + db)
        #expect(export.status == 0)
        let reexported = folder.appendingPathComponent("export.yaml")
        try export.output.write(to: reexported, atomically: true, encoding: .utf8)
        #expect(try Self.run(["apply", "-f", reexported.path, "--prune"] + db).output.contains("no changes"))
        let csv = try Self.run(["export", "--format", "csv"] + db)
        #expect(csv.output.split(separator: "\n").count == 3 && csv.output.contains("corp-net,ids,network.ids,vendor"))

        let broken = folder.appendingPathComponent("broken.yaml")
        try Self.inventory.replacingOccurrences(of: "network.ids", with: "network.idz").write(to: broken, atomically: true, encoding: .utf8)
        let refused = try Self.run(["apply", "-f", broken.path] + db)
        #expect(refused.status != 0)
        #expect(refused.errors.contains("broken.yaml:8:") && refused.errors.contains("did you mean 'network.ids'?"), "\(refused.errors)")

        #expect(try Self.run(["user", "add", "vera", "--role", "custodian", "--org", "vendor"] + db).status == 0)
        #expect(try Self.run(["user", "add", "nobody", "--role", "custodian"] + db).status != 0)  // a custodian needs an org
        // The console password, from standard input (a terminal would be prompted twice).
        let passwd = try Self.run(["user", "passwd", "vera"] + db, input: "vera's long password\n")
        #expect(passwd.status == 0 && passwd.output.contains("console password of vera set"), "\(passwd)")
        let short = try Self.run(["user", "passwd", "vera"] + db, input: "short\n")
        #expect(short.status != 0 && short.errors.contains("at least 12 characters"))
        #expect(try Self.run(["user", "passwd", "nobody"] + db, input: "long enough password\n").errors.contains("no user named nobody"))
        let token = try Self.run(["token", "create", "--user", "vera", "--expires", "30d"] + db)
        let secret = token.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.status == 0 && secret.hasPrefix("la_") && token.errors.contains("not shown again"))
        // No library chatter on the terminal (PostgresNIO warned when a command leased a connection before its pool ran).
        for run in [dry, first, second, export, csv, token] { #expect(!run.errors.contains("PostgresClient"), "\(run.errors)") }
        #expect(try Self.run(["token", "revoke", String(secret.prefix(10))] + db).output.contains("revoked 1 token(s)"))
        #expect(try Self.run(["token", "revoke", String(secret.prefix(10))] + db).status != 0)

        // Stored gap runs: losing the firewall log is a regression that --fail-on regression turns into exit status 1.
        let baseline = try Self.run(["gaps", "--policy", "ir-baseline", "--format", "json"] + db)
        #expect(baseline.status == 0 && baseline.output.contains("\"id\""))
        let lines = Self.inventory.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("name: firewall") }
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        #expect(try Self.run(["apply", "-f", file.path, "--prune"] + db).output.contains("- source corp-net/firewall"))
        let worse = try Self.run(["gaps", "--policy", "ir-baseline", "--diff", "--fail-on", "regression"] + db)
        #expect(worse.status == 1, "\(worse)")
        #expect(worse.errors.contains("worse  ir-baseline/ir-200-edge@org:it: partial → missing"), "\(worse.errors)")
        #expect(try Self.run(["gaps", "--policy", "ir-baseline", "--fail-on", "regression"] + db).status == 0)  // nothing new since

        let audit = try Self.run(["audit", "verify"] + db)
        #expect(audit.status == 0 && audit.output.hasPrefix("OK: 13 events"), "\(audit)")  // 5 inventory creates, user, password, token, revocation, 3 gap runs, 1 delete
    }

    @Test func gapsRunOfflineOnAnInventoryFileAndFailOnMissing() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("la-gaps-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("inventory.yaml")
        try Self.inventory.write(to: file, atomically: true, encoding: .utf8)
        let table = try Self.run(["gaps", "--inventory", file.path, "--policy", "cis-v8-control-8"])
        #expect(table.status == 0 && table.output.contains("start collecting network.dns for it"), "\(table)")
        let json = try Self.run(["gaps", "--inventory", file.path, "--policy", "cis-v8-control-8", "--format", "json"])
        let document = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        #expect((document?["findings"] as? [Any])?.isEmpty == false)
        #expect(try Self.run(["gaps", "--inventory", file.path, "--policy", "cis-v8-control-8", "--fail-on", "missing"]).status == 1)
        // Offline regression check against a baseline JSON report: drop the firewall log.
        let baseline = folder.appendingPathComponent("baseline.json")
        try Self.run(["gaps", "--inventory", file.path, "--policy", "ir-baseline", "--format", "json"]).output.write(to: baseline, atomically: true, encoding: .utf8)
        #expect(try Self.run(["gaps", "--inventory", file.path, "--policy", "ir-baseline", "--baseline", baseline.path, "--fail-on", "regression"]).status == 0)
        let smaller = folder.appendingPathComponent("smaller.yaml")
        try Self.inventory.split(separator: "\n").filter { !$0.contains("name: firewall") }.joined(separator: "\n").write(to: smaller, atomically: true, encoding: .utf8)
        let regressed = try Self.run(["gaps", "--inventory", smaller.path, "--policy", "ir-baseline", "--baseline", baseline.path, "--fail-on", "regression", "--diff"])
        #expect(regressed.status == 1 && regressed.errors.contains("worse  ir-baseline/ir-200-edge@org:it: partial → missing"), "\(regressed.errors)")
        #expect(try Self.run(["gaps", "--inventory", file.path, "--fail-on", "regression"]).status != 0)  // needs --baseline

        let unknown = try Self.run(["gaps", "--inventory", file.path, "--policy", "pci-dss4"])
        #expect(unknown.status != 0 && unknown.errors.contains("did you mean 'pci-dss-4'?"), "\(unknown.errors)")
        let csv = try Self.run(["gaps", "--inventory", file.path, "--policy", "ir-baseline", "--org", "it", "--format", "csv"])
        let rows = csv.output.split(separator: "\n").dropFirst()
        #expect(rows.count >= 5 && rows.allSatisfy { $0.contains(",it,") }, "\(csv.output)")

        // The file is read as bytes: a byte order mark changes nothing, bytes that are not UTF-8 are refused with a
        // clear message, and a missing file or a directory is reported as before.
        let marked = folder.appendingPathComponent("marked.yaml")
        try (Data([0xEF, 0xBB, 0xBF]) + Data(Self.inventory.utf8)).write(to: marked)
        #expect(try Self.run(["gaps", "--inventory", marked.path, "--policy", "cis-v8-control-8"]).output == table.output)
        let latin1 = folder.appendingPathComponent("latin1.yaml")
        try (Data(Self.inventory.utf8) + Data("# caf".utf8) + Data([0xE9, 0x0A])).write(to: latin1)
        let refused = try Self.run(["gaps", "--inventory", latin1.path, "--policy", "cis-v8-control-8"])
        let line = Self.inventory.filter { $0 == "\n" }.count + 1
        let column = Self.inventory.split(separator: "\n", omittingEmptySubsequences: false).last!.count + 6
        #expect(refused.status != 0 && refused.errors.contains("latin1.yaml:\(line):\(column): the file is not UTF-8 text"), "\(refused.errors)")
        let missing = try Self.run(["gaps", "--inventory", folder.appendingPathComponent("none.yaml").path])
        #expect(missing.status != 0 && missing.output.isEmpty && !missing.errors.isEmpty)
        #expect(try Self.run(["gaps", "--inventory", folder.path]).status != 0)
    }

    @Test func detectionsJudgeASigmaFolderAgainstAFileOrTheDatabase() async throws {
        let top = FileManager.default.temporaryDirectory.appendingPathComponent("la-sigma-cli-\(getpid())")
        let folder = top.appendingPathComponent("sigma"), rules = folder.appendingPathComponent("rules/network")
        try FileManager.default.createDirectory(at: rules, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: top) }
        try "title: Port scan\nid: r-1\nlogsource: {category: firewall}\ndetection: {condition: x}\nlevel: high\n"
            .write(to: rules.appendingPathComponent("fw.yml"), atomically: true, encoding: .utf8)
        try "title: DNS tunnel\nid: r-2\nlogsource: {category: dns}\ndetection: {condition: x}\nlevel: critical\n"
            .write(to: rules.appendingPathComponent("dns.yml"), atomically: true, encoding: .utf8)
        try "title: [broken\n".write(to: rules.appendingPathComponent("broken.yml"), atomically: true, encoding: .utf8)
        let file = top.appendingPathComponent("inventory.yaml")
        try Self.inventory.write(to: file, atomically: true, encoding: .utf8)

        func verdicts(_ run: Run) throws -> [String: String] {
            let document = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any]
            return Dictionary(uniqueKeysWithValues: (document?["rules"] as? [[String: Any]] ?? []).map { ($0["id"] as! String, $0["verdict"] as! String) })
        }
        let offline = try Self.run(["detections", "--sigma", folder.path, "--inventory", file.path, "--format", "json"])
        #expect(offline.status == 0, "\(offline)")
        #expect(try verdicts(offline) == ["r-1": "runnable", "r-2": "cannot-run"])
        #expect(offline.output.contains("\"file\" : \"rules/network/broken.yml\""), "the broken rule is listed, the others judged")
        let markdown = try Self.run(["detections", "--sigma", folder.path, "--inventory", file.path])
        #expect(markdown.output.contains("| network.dns (DNS resolver query log) | 1 | 1 |"), "\(markdown.output)")
        // The same pack as one .tar.gz reads the same.
        let archive = top.appendingPathComponent("sigma.tar.gz")
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tar.arguments = ["tar", "-czf", archive.path, "-C", folder.path, "rules"]
        try tar.run()
        tar.waitUntilExit()
        let packed = try Self.run(["detections", "--sigma", archive.path, "--inventory", file.path, "--format", "json"])
        #expect(try verdicts(packed) == ["r-1": "runnable", "r-2": "cannot-run"], "\(packed)")
        try Data("not gzip".utf8).write(to: top.appendingPathComponent("bad.tgz"))
        let bad = try Self.run(["detections", "--sigma", top.appendingPathComponent("bad.tgz").path, "--inventory", file.path])
        #expect(bad.status != 0 && bad.errors.contains("not a gzip-compressed tar archive"), "\(bad)")

        let db = ["--database-url", try await TestCluster.shared.freshDatabaseURL()]
        #expect(try Self.run(["apply", "-f", file.path] + db).status == 0)
        let stored = try Self.run(["detections", "--sigma", folder.path, "--format", "json"] + db)
        #expect(try verdicts(stored) == ["r-1": "runnable", "r-2": "cannot-run"], "\(stored)")

        let missing = try Self.run(["detections", "--sigma", folder.appendingPathComponent("nothing").path, "--inventory", file.path])
        #expect(missing.status != 0 && missing.errors.contains("not a folder of Sigma rules"), "\(missing)")
        let empty = try Self.run(["detections", "--sigma", top.path + "/sigma/rules/network/../../../", "--inventory", file.path])
        #expect(empty.status == 0, "the inventory file beside the pack is listed as unreadable, the rules judged: \(empty)")
        try FileManager.default.createDirectory(at: top.appendingPathComponent("none"), withIntermediateDirectories: true)
        let none = try Self.run(["detections", "--sigma", top.appendingPathComponent("none").path, "--inventory", file.path])
        #expect(none.status != 0 && none.errors.contains("no Sigma rule files"), "\(none)")
    }

    /// Also: with LOGATLAS_LOG_FORMAT=json every line on standard error is one JSON object, and a request's id (the
    /// balancer's X-Request-ID, or one the server makes) comes back in the header, the problem and its log line.
    @Test func serveOnTheEmbeddedDatabaseLogsJSONServesMetricsApartAndStopsOnSIGTERM() async throws {
        let folder = URL(fileURLWithPath: "/tmp/la-srv-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let port = 20_000 + Int(getpid() % 10_000)
        let metricsPort = port + 10_000
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["serve", "--demo", "--data-dir", folder.path, "--port", String(port), "--metrics-port", String(metricsPort)]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "DATABASE_URL")
        env["LOGATLAS_DB_CONNECTIONS"] = "2"   // the demo load, the jobs and the API share two connections
        env["LOGATLAS_DB_ACQUIRE_TIMEOUT_SECONDS"] = "60"   // the suites load the machine; no spurious 503s
        env["LOGATLAS_LOG_FORMAT"] = "json"
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        let logPath = "/tmp/la-srv-\(getpid()).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: logPath) }
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
        var ready = false
        for _ in 0..<150 where !ready {
            try await Task.sleep(for: .milliseconds(200))
            ready = Self.get(port: port, path: "/readyz")?.contains("\"ready\"") == true
        }
        #expect(ready)
        let traced = try RawHTTP.exchange(port: port, "GET /v1/sources HTTP/1.1\r\nHost: localhost\r\nX-Request-ID: trace-42.a\r\nConnection: close\r\n\r\n")
        #expect(traced.hasPrefix("HTTP/1.1 401") && traced.lowercased().contains("x-request-id: trace-42.a\r\n"), "\(traced)")
        #expect(traced.contains(#""request_id":"trace-42.a""#), "\(traced)")
        let made = try RawHTTP.exchange(port: port, "GET /v1/sources HTTP/1.1\r\nHost: localhost\r\nX-Request-ID: no spaces allowed\r\nConnection: close\r\n\r\n")
        let madeID = try #require(made.firstMatch(of: /"request_id":"([0-9a-f-]{36})"/)?.output.1, "\(made)")
        #expect(made.lowercased().contains("x-request-id: \(madeID)\r\n"), "an unusable incoming id is replaced, the same in header and problem")
        // With --metrics-port, /metrics is served there and not on the service's port.
        #expect(Self.get(port: metricsPort, path: "/metrics")?.contains("logatlas_http_requests_total") == true)
        #expect(Self.get(port: port, path: "/metrics")?.hasPrefix("HTTP/1.1 404") == true)
        let pidText = try String(contentsOf: folder.appendingPathComponent("pgdata/postmaster.pid"), encoding: .utf8)
        let postmaster = try #require(Int32(pidText.split(separator: "\n")[0]))
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let banner = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(banner.contains("export TOKEN_CSIRT_LEAD=la_"))
        let lines = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n")
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(!lines.isEmpty && objects.count == lines.count, "every log line is a JSON object: \(lines.prefix(5))")
        #expect(objects.allSatisfy { $0["ts"] is String && $0["level"] is String && $0["message"] is String })
        let access = objects.first { $0["request_id"] as? String == "trace-42.a" }
        #expect(access?["route"] as? String == "/v1/sources" && access?["status"] as? String == "401", "\(String(describing: access))")
        #expect(process.terminationStatus == 0)
        #expect(kill(postmaster, 0) != 0, "the embedded PostgreSQL must stop with the service")
    }

    /// A binary installed without its resource bundles refuses to start with one line, before doing anything:
    /// it must never serve a stub OpenAPI document or pass `gaps --fail-on missing` on zero policies.
    @Test(arguments: InstalledResourcesCase.allCases)
    func aMissingResourceBundleStopsTheProcessWithOneLine(_ missing: InstalledResourcesCase) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("la-install-\(getpid())-\(missing.rawValue)")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let built = Self.binary.deletingLastPathComponent()
        try FileManager.default.copyItem(at: Self.binary, to: folder.appendingPathComponent("logatlas"))
        for bundle in InstalledResourcesCase.allCases where bundle != missing {
            try FileManager.default.copyItem(at: built.appendingPathComponent(bundle.rawValue), to: folder.appendingPathComponent(bundle.rawValue))
        }
        let inventory = folder.appendingPathComponent("inventory.yaml")
        try "orgs: []\n".write(to: inventory, atomically: true, encoding: .utf8)
        let run = try Self.run(["gaps", "--inventory", inventory.path, "--fail-on", "missing"], binary: folder.appendingPathComponent("logatlas"))
        #expect(run.status == 2)
        #expect(run.output.isEmpty)
        #expect(run.errors.split(separator: "\n").count == 1 && run.errors.contains(missing.rawValue), "\(run.errors)")
    }

    /// The resource bundles `logatlas` needs beside it.
    enum InstalledResourcesCase: String, CaseIterable, Sendable {
        case schema = "LogAtlas_LogAtlasSchema.resources", policies = "LogAtlas_LogAtlasPolicies.resources"
        case server = "LogAtlas_LogAtlasServer.resources"
    }

    @Test func aConnectionLimitBelowOneIsRefused() throws {
        let run = try Self.run(["migrate", "--db-connections", "0", "--data-dir", "/tmp/la-never-\(getpid())"])
        #expect(run.status != 0)
        #expect(run.errors.contains("--db-connections must be at least 1"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/la-never-\(getpid())"))
    }

    @Test func serveRefusesAnIncompleteProviderOrABadMappingBeforeTouchingTheDatabase() throws {
        let folder = "/tmp/la-never-oidc-\(getpid())", mapping = "/tmp/la-oidc-mapping-\(getpid()).yaml"
        defer { try? FileManager.default.removeItem(atPath: mapping) }
        let partial = try Self.run(["serve", "--data-dir", folder, "--oidc-issuer", "https://idp.example"])
        #expect(partial.status != 0 && partial.errors.contains("--oidc-issuer, --oidc-client-id, --oidc-redirect-url and --oidc-mapping together"))
        let passwordsOff = try Self.run(["serve", "--data-dir", folder, "--no-local-passwords"])
        #expect(passwordsOff.status != 0 && passwordsOff.errors.contains("--no-local-passwords needs an OpenID Connect provider"))
        try "rules:\n  - {group: soc, role: chief}\n".write(toFile: mapping, atomically: true, encoding: .utf8)
        let bad = try Self.run(["serve", "--data-dir", folder], environment: [
            "LOGATLAS_OIDC_ISSUER": "https://idp.example", "LOGATLAS_OIDC_CLIENT_ID": "logatlas",
            "LOGATLAS_OIDC_REDIRECT_URL": "https://logatlas.example/login/oidc/callback", "LOGATLAS_OIDC_MAPPING": mapping,
        ])
        #expect(bad.status != 0 && bad.errors.contains("\(mapping):2:24: rules[0].role: unknown role 'chief'"), "\(bad.errors)")
        #expect(!FileManager.default.fileExists(atPath: folder))
    }

    @Test func requestCommandsDriveTheBrokerThroughTheAPI() async throws {
        let url = try await TestCluster.shared.freshDatabaseURL()
        let (tokens, firewallID) = try await withRunningClient(try PostgresURL.configuration(url)) { client in
            var tokens: [String: String] = [:]
            let database = Database(client: client, acquireTimeout: TestCluster.acquireTimeout)
            let inventory = PostgresInventoryRepository(database: database)
            try await inventory.apply(Fixtures.inventory(), scope: .everything, prune: false, dryRun: false, as: Fixtures.admin)
            let identity = IdentityStore(database: database)
            for principal in [Fixtures.csirt, Fixtures.custodianA] {
                try await identity.addUser(named: principal.name, role: principal.role, orgs: principal.orgIDs.sorted(), actor: "test")
                tokens[principal.name] = try await identity.createToken(for: principal.name, lifetime: .seconds(3600), actor: "test").secret
            }
            return (tokens, try await inventory.export(as: Fixtures.admin).sources.first { $0.name == "firewall" }!.id.description)
        }
        let folder = URL(fileURLWithPath: "/tmp/la-cli-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let port = 30_000 + Int(getpid() % 10_000)
        let server = Process()
        server.executableURL = Self.binary
        server.arguments = ["serve", "--port", String(port), "--artifact-dir", folder.appendingPathComponent("artifacts").path]
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = url
        env["LOGATLAS_DB_ACQUIRE_TIMEOUT_SECONDS"] = "60"
        server.environment = env
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { kill(server.processIdentifier, SIGTERM); server.waitUntilExit() }
        var ready = false
        for _ in 0..<150 where !ready {
            try await Task.sleep(for: .milliseconds(200))
            ready = Self.get(port: port, path: "/readyz")?.contains("\"ready\"") == true
        }
        try #require(ready)

        func cli(_ user: String, _ arguments: [String]) throws -> Run {
            try Self.run(["request"] + arguments, environment: ["LOGATLAS_URL": "http://127.0.0.1:\(port)", "LOGATLAS_TOKEN": tokens[user]!])
        }
        let iso = ISO8601DateFormatter()
        let window = ["--from", iso.string(from: Date().addingTimeInterval(-2 * 86_400)), "--to", iso.string(from: Date().addingTimeInterval(-86_400))]
        let filed = try cli("cyd", ["file", "--incident", "INC-77", "--purpose", "beaconing to 198.51.100.9", "--priority", "critical",
                                    "--source", firewallID, "--ip", "198.51.100.9", "--json"] + window)
        #expect(filed.status == 0, "out: \(filed.output) err: \(filed.errors)")
        let request = try #require(try JSONSerialization.jsonObject(with: Data(filed.output.utf8)) as? [String: Any])
        let id = try #require(request["id"] as? String)
        let item = try #require((request["items"] as? [[String: Any]])?.first?["id"] as? String)

        let listed = try cli("cus-a", ["list"])
        #expect(listed.output.contains("INC-77") && listed.output.contains("dept-a=requested"), "\(listed.output)")
        #expect(try cli("cus-a", ["transition", id, item, "acknowledge"]).output.contains("acknowledged"))
        let refused = try cli("cus-a", ["transition", id, item, "reject"])
        #expect(refused.status != 0 && refused.errors.contains("422"), "\(refused.errors)")
        #expect(try cli("cus-a", ["transition", id, item, "approve"]).status == 0)
        let evidence = folder.appendingPathComponent("fw-export.log")
        try Data(String(repeating: "2026-11-26T10:00:00Z deny 198.51.100.9\n", count: 50_000).utf8).write(to: evidence)
        let uploaded = try cli("cus-a", ["upload", id, item, evidence.path, "--media-type", "text/plain"])
        #expect(uploaded.status == 0, "\(uploaded.errors)")
        let artifact = try #require(uploaded.output.split(separator: " ").dropFirst().first.map(String.init))
        #expect(try cli("cus-a", ["transition", id, item, "deliver"]).status == 0)
        let copy = folder.appendingPathComponent("copy.log")
        let downloaded = try cli("cyd", ["download", id, artifact, "-o", copy.path])
        #expect(downloaded.output.contains("sha-256 verified"), "\(downloaded.errors)")
        #expect(try Data(contentsOf: copy) == Data(contentsOf: evidence))
        #expect(try cli("cyd", ["transition", id, item, "receive", "--note", "C2 confirmed; host reimaged"]).status == 0)
        let shown = try cli("cus-a", ["show", id])
        #expect(shown.output.contains("C2 confirmed") || shown.output.contains("receive"), "\(shown.output)")

        let manifestFile = folder.appendingPathComponent("custody.json")
        let custody = try cli("cyd", ["custody", id, "-o", manifestFile.path])
        #expect(custody.status == 0, "\(custody.errors)")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: manifestFile)) as? [String: Any])
        let signOff = try #require(manifest["sign_off"] as? [String: Any])
        #expect(signOff["by"] as? String == "cyd")
        #expect((signOff["events_verified"] as? Int ?? 0) >= 6)
        let accesses = ((manifest["artifacts"] as? [[String: Any]])?.first?["accesses"] as? [[String: Any]] ?? []).map { $0["action"] as? String }
        #expect(accesses == ["upload", "download"])

        // A standing agreement made and accepted from the command line pre-approves the next critical request.
        func agreement(_ user: String, _ arguments: [String]) throws -> Run {
            try Self.run(["agreement"] + arguments, environment: ["LOGATLAS_URL": "http://127.0.0.1:\(port)", "LOGATLAS_TOKEN": tokens[user]!])
        }
        let proposed = try agreement("cus-a", ["propose", "--custodian-org", "dept-a", "--csirt-org", "csirt", "--log-type", "network.firewall",
                                               "--minimum-severity", "serious", "--max-window-days", "30", "--delivery-method", "file-export",
                                               "--promised-lead-hours", "36", "--valid-from", iso.string(from: Date().addingTimeInterval(-86_400)),
                                               "--valid-until", iso.string(from: Date().addingTimeInterval(200 * 86_400)),
                                               "--approver-name", "Aki Mori", "--approver-role", "CISO", "--legal-basis", "Group IR policy §4", "--json"])
        #expect(proposed.status == 0, "\(proposed.errors)")
        let agreementID = try #require((try JSONSerialization.jsonObject(with: Data(proposed.output.utf8)) as? [String: Any])?["id"] as? String)
        #expect(try agreement("cus-a", ["accept", agreementID, "--version", "1"]).output.contains("custodian accepted by cus-a"))
        #expect(try agreement("cyd", ["accept", agreementID, "--version", "1"]).output.contains("active"))
        #expect(try agreement("cyd", ["list", "--status", "active"]).output.contains("1 agreement(s)"))
        let covered = try cli("cyd", ["file", "--incident", "INC-78", "--purpose", "scan from 198.51.100.10", "--priority", "critical",
                                      "--incident-type", "500", "--source", firewallID] + window)
        #expect(covered.output.contains("approved") && covered.output.contains("approved by standing agreement \(agreementID) v1 (promised 36"),
                "\(covered.output) \(covered.errors)")

        // What INC-77's delivery lacked, recorded against its received item; the custodian reads it, only an admin closes it.
        func observedGap(_ user: String, _ arguments: [String]) throws -> Run {
            try Self.run(["observed-gap"] + arguments, environment: ["LOGATLAS_URL": "http://127.0.0.1:\(port)", "LOGATLAS_TOKEN": tokens[user]!])
        }
        let recorded = try observedGap("cyd", ["record", "--request", id, "--item", item, "--source", firewallID, "--kind", "fields_missing",
                                               "--field", "user", "--field", "url", "--note", "no user in the export: could not tie the C2 to a person"])
        #expect(recorded.status == 0 && recorded.output.contains("open  INC-77  network.firewall of corp-net: fields_missing (user, url)"),
                "\(recorded.output) \(recorded.errors)")
        let gaps = try observedGap("cus-a", ["list", "--status", "open"])
        #expect(gaps.output.contains("could not tie the C2") && gaps.output.contains("1 observed gap(s)"), "\(gaps.output)")
        let gapID = try #require(recorded.output.split(separator: " ").first.map(String.init))
        let closing = try observedGap("cyd", ["close", gapID, "--reason", "fixed"])
        #expect(closing.status != 0 && closing.errors.contains("403"), "\(closing.errors)")

        // dept-a's probe reports what the firewall's local files really hold: 13 days, attested.
        let logs = try ProbeCommandTests.write(.nginx, in: folder)
        let probed = try Self.run(["probe", "--source", firewallID, "--format", "nginx", "--host", "fw-log-1"] + logs,
                                  environment: ["LOGATLAS_URL": "http://127.0.0.1:\(port)", "LOGATLAS_TOKEN": tokens["cus-a"]!])
        #expect(probed.status == 0 && probed.output.contains("reported: 6 records in 3 file(s)") && probed.output.contains("holds 13 d (attested)")
                && !probed.output.contains("SILENT"), "\(probed.output) \(probed.errors)")
        // Action cards come with the inventory file (apply), and print from the command line.
        let exported = try Self.run(["export", "--database-url", url])
        let withCards = folder.appendingPathComponent("with-cards.yaml")
        try (exported.output + """
            action_cards:
              - system: corp-net
                entries:
                  - {responsible: Network on-call, contact: "+81 3 5555 0101", severities: [critical], first_actions: [Block at the perimeter]}

            """).write(to: withCards, atomically: true, encoding: .utf8)
        let applied = try Self.run(["apply", "-f", withCards.path, "--database-url", url])
        #expect(applied.status == 0 && applied.output.contains("cards    1 created") && applied.output.contains("+ action card for system corp-net"),
                "\(applied.output) \(applied.errors)")
        let card = folder.appendingPathComponent("corp-net-card.html")
        let printed = try Self.run(["action-card", "show", "corp-net", "--format", "html", "--lang", "ja", "-o", card.path],
                                   environment: ["LOGATLAS_URL": "http://127.0.0.1:\(port)", "LOGATLAS_TOKEN": tokens["cyd"]!])
        #expect(printed.status == 0, "\(printed.errors)")
        let html = try String(contentsOf: card, encoding: .utf8)
        #expect(html.contains("アクションカード") && html.contains("Network on-call") && html.contains("Block at the perimeter"))
        let listedCards = try Self.run(["action-card", "list"], environment: ["LOGATLAS_URL": "http://127.0.0.1:\(port)", "LOGATLAS_TOKEN": tokens["cus-a"]!])
        #expect(listedCards.output.contains("system corp-net  v1") && listedCards.output.contains("1 card(s)"), "\(listedCards.output)")

        let refusedProbe = try Self.run(["probe", "--source", firewallID, "--format", "nginx"] + logs,
                                        environment: ["LOGATLAS_URL": "http://127.0.0.1:\(port)", "LOGATLAS_TOKEN": tokens["cyd"]!])
        #expect(refusedProbe.status != 0 && refusedProbe.errors.contains("403"), "\(refusedProbe.errors)")
    }
}
