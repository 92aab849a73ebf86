import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LogAtlasStore

/// A real S3-compatible server for tests: moto's, as installed by `scripts/install-deps.sh` into
/// `.build/moto-venv` (or named by LOGATLAS_MOTO_SERVER). One per test process, on a free port.
public actor MotoServer {
    public static let shared = MotoServer()

    public struct NotInstalled: Error, CustomStringConvertible {
        public var description: String { "moto_server not found: run scripts/install-deps.sh (it installs moto[server] into .build/moto-venv)" }
    }

    private var process: Process?
    private var endpoint: URL?

    /// The server's base URL, starting it on first use.
    public func url() async throws -> URL {
        if let endpoint { return endpoint }
        let candidates = [ProcessInfo.processInfo.environment["LOGATLAS_MOTO_SERVER"], ".build/moto-venv/bin/moto_server"].compactMap { $0 }
        guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { throw NotInstalled() }
        let port = Int.random(in: 20_000..<40_000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-H", "127.0.0.1", "-p", String(port)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let url = URL(string: "http://127.0.0.1:\(port)")!
        for _ in 0..<100 {
            if let (_, response) = try? await URLSession.shared.data(from: url.appendingPathComponent("moto-api/")),
               (response as? HTTPURLResponse)?.statusCode == 200 {
                endpoint = url
                atexit { MotoServer.stopAtExit() }
                MotoServer.pidAtExit = process.processIdentifier
                return url
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.terminate()
        throw NotInstalled()
    }

    nonisolated(unsafe) static var pidAtExit: Int32 = 0
    static func stopAtExit() { if pidAtExit > 0 { kill(pidAtExit, SIGTERM) } }
}
