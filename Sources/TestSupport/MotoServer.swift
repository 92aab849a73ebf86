import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LogAtlasStore

/// A real S3-compatible server for tests: moto's, as installed by `scripts/install-deps.sh` into
/// `.build/moto-venv` (or named by LOGATLAS_MOTO_SERVER). One per test process, on a free port, stopped when the
/// process ends.
public actor MotoServer {
    public static let shared = MotoServer()

    public struct NotInstalled: Error, CustomStringConvertible {
        public var description: String { "moto_server not found: run scripts/install-deps.sh (it installs moto[server] into .build/moto-venv)" }
    }

    /// The one start-up of this process. The actor is re-entrant across the awaits of starting, so concurrent
    /// first callers share this task: checking a plain property instead started a server per caller, of which
    /// only the last was stopped at exit (each test run left two or three `moto_server` processes behind).
    private var starting: Task<URL, any Error>?

    /// The server's base URL, starting it on first use.
    public func url() async throws -> URL {
        if starting == nil { starting = Task { try await Self.start() } }
        return try await starting!.value
    }

    private static func start() async throws -> URL {
        let candidates = [ProcessInfo.processInfo.environment["LOGATLAS_MOTO_SERVER"], ".build/moto-venv/bin/moto_server"].compactMap { $0 }
        guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { throw NotInstalled() }
        let port = Int.random(in: 20_000..<40_000)
        // moto's own Python, with a thread that ends the server once this test process is gone, however it ended:
        // exit handlers do not reliably run when the test runner finishes, and every run left a `moto_server` behind.
        let python = URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent("python3").path
        let watched = """
            import os, sys, threading, time
            parent = int(sys.argv[1])
            def watch():
                while True:
                    try:
                        os.kill(parent, 0)
                    except OSError:
                        os._exit(0)
                    time.sleep(0.5)
            threading.Thread(target=watch, daemon=True).start()
            sys.argv = ["moto_server"] + sys.argv[2:]
            from moto.server import main
            sys.exit(main())
            """
        let process = Process()
        if FileManager.default.isExecutableFile(atPath: python) {
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["-c", watched, String(getpid()), "-H", "127.0.0.1", "-p", String(port)]
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["-H", "127.0.0.1", "-p", String(port)]
        }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        MotoServer.pidAtExit = process.processIdentifier
        atexit { MotoServer.stopAtExit() }
        let url = URL(string: "http://127.0.0.1:\(port)")!
        for _ in 0..<100 {
            if let (_, response) = try? await URLSession.shared.data(from: url.appendingPathComponent("moto-api/")),
               (response as? HTTPURLResponse)?.statusCode == 200 {
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
