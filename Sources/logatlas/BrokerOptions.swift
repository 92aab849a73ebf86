import ArgumentParser
import Foundation
import LogAtlasCore
import LogAtlasServer
import LogAtlasStore

/// Options of the retrieval broker: SLA targets, artifact storage and limits.
struct BrokerOptions: ParsableArguments {
    @Option(help: "SLA overrides, e.g. critical=2h/12h,medium=2d/7d (acknowledge/deliver; env: LOGATLAS_SLA).")
    var sla: String = Environment.value("LOGATLAS_SLA") ?? ""

    @Option(help: "An item undelivered this many delivery periods past its due date expires (env: LOGATLAS_SLA_EXPIRY_FACTOR).")
    var slaExpiryFactor: Double = Environment.value("LOGATLAS_SLA_EXPIRY_FACTOR").flatMap(Double.init) ?? 1

    @Option(help: "Seconds between passes of the SLA job that raises reminders, escalations and expiries (env: LOGATLAS_SLA_INTERVAL_SECONDS).")
    var slaIntervalSeconds: Int = Environment.value("LOGATLAS_SLA_INTERVAL_SECONDS").flatMap(Int.init) ?? 60

    @Option(help: "Largest evidence upload in bytes (env: LOGATLAS_MAX_ARTIFACT_BYTES; default 10 GiB).")
    var maxArtifactBytes: Int64 = Environment.value("LOGATLAS_MAX_ARTIFACT_BYTES").flatMap(Int64.init) ?? 10 << 30

    @Option(help: "Days delivered evidence is kept after its request closes, unless the request sets its own period or a legal hold stands (env: LOGATLAS_EVIDENCE_RETENTION_DAYS; 1–3650).")
    var evidenceRetentionDays: Int = Environment.value("LOGATLAS_EVIDENCE_RETENTION_DAYS").flatMap(Int.init) ?? EvidenceRetentionPolicy.standardDays

    @OptionGroup var evidence: EvidenceStoreOptions

    @Option(help: "Internal address ranges webhooks may reach after all, comma-separated CIDRs, e.g. 10.20.0.0/16 (env: LOGATLAS_WEBHOOK_ALLOW; default none).")
    var webhookAllow: String = Environment.value("LOGATLAS_WEBHOOK_ALLOW") ?? ""

    func settings() throws -> BrokerSettings {
        var allowed: [IPRange] = []
        for text in webhookAllow.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !text.isEmpty {
            guard let range = IPRange(text) else { throw ValidationError("--webhook-allow: '\(text)' is not a CIDR range such as 10.20.0.0/16") }
            allowed.append(range)
        }
        do {
            guard EvidenceRetentionPolicy.allowedDays.contains(evidenceRetentionDays) else {
                throw ValidationError("--evidence-retention-days must be between 1 and 3650")
            }
            guard slaIntervalSeconds >= 1 else { throw ValidationError("--sla-interval-seconds must be at least 1") }
            return BrokerSettings(sla: try SLAPolicy.parse(sla, expiryFactor: slaExpiryFactor), maxArtifactBytes: maxArtifactBytes,
                                  slaInterval: .seconds(slaIntervalSeconds), webhookAllow: allowed, retention: EvidenceRetentionPolicy(defaultDays: evidenceRetentionDays))
        } catch let issue as ValidationIssue {
            throw ValidationError("--\(issue.path): \(issue.message)")
        }
    }

}

/// Where evidence is kept: a folder or an S3-compatible bucket (`serve`, `backup`, `restore`).
struct EvidenceStoreOptions: ParsableArguments {
    @Option(help: "Folder for evidence (env: LOGATLAS_ARTIFACT_DIR; default: artifacts/ in the data folder).")
    var artifactDir: String? = Environment.value("LOGATLAS_ARTIFACT_DIR")

    @Option(help: "S3-compatible bucket URL for evidence instead of a folder, e.g. http://minio:9000/evidence (env: LOGATLAS_S3_URL; credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION).")
    var s3URL: String? = Environment.value("LOGATLAS_S3_URL")

    func artifactStore(dataDirectory: String) throws -> any ArtifactStore {
        if let s3URL {
            guard let url = URL(string: s3URL), url.host != nil, url.pathComponents.count >= 2 else {
                throw ValidationError("--s3-url: expected http(s)://host[:port]/bucket")
            }
            let environment = ProcessInfo.processInfo.environment
            guard let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"] else {
                throw ValidationError("--s3-url needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment")
            }
            return S3ArtifactStore(bucketURL: url, accessKey: key, secretKey: secret, region: environment["AWS_REGION"] ?? "us-east-1")
        }
        return FileSystemArtifactStore(folder: URL(fileURLWithPath: artifactDir ?? "\(dataDirectory)/artifacts"))
    }
}
