import Foundation

/// A message on a request's thread. `addressedTo` nil means everyone on the request; an organisation means
/// the requester's team and that custodian only.
public struct RequestComment: Hashable, Sendable {
    public var id: UUID
    public var author: String
    public var authorRole: Role
    public var addressedTo: OrgID?
    public var body: String
    public var createdAt: Date

    public init(id: UUID = UUID(), author: String, authorRole: Role, addressedTo: OrgID?, body: String, createdAt: Date) {
        self.id = id
        self.author = author
        self.authorRole = authorRole
        self.addressedTo = addressedTo
        self.body = body
        self.createdAt = createdAt
    }
}

/// One applied transition of an item, with the note that came with it (reason, question, answer, outcome).
public struct ItemEvent: Hashable, Sendable {
    public var itemID: RequestItemID
    public var action: ItemAction
    public var from: ItemState
    public var to: ItemState
    public var actor: String
    public var note: String?
    public var at: Date

    public init(itemID: RequestItemID, action: ItemAction, from: ItemState, to: ItemState, actor: String, note: String?, at: Date) {
        self.itemID = itemID
        self.action = action
        self.from = from
        self.to = to
        self.actor = actor
        self.note = note
        self.at = at
    }
}

/// Evidence delivered for an item: uploaded bytes in the artifact store, or a record of an out-of-band hand-over.
public struct Artifact: Hashable, Sendable {
    public enum Kind: String, Sendable, Codable { case upload, handover }

    public var id: ArtifactID
    public var requestID: RequestID
    public var itemID: RequestItemID
    public var kind: Kind
    public var fileName: String?
    public var mediaType: String?
    public var size: Int64?
    /// Lower-case hex SHA-256 of the content.
    public var sha256: String
    /// Where the bytes live in the artifact store (uploads only; never shown to clients).
    public var storageKey: String?
    /// For hand-overs: where the logs were put and how (e.g. "sftp://…", "encrypted USB via courier").
    public var location: String?
    public var method: String?
    public var createdBy: String
    public var createdAt: Date
    /// When the evidence retention deleted the content, and who did (the digest, size and history stay).
    public var purgedAt: Date?
    public var purgedBy: String?

    public init(id: ArtifactID = ArtifactID(), requestID: RequestID, itemID: RequestItemID, kind: Kind, fileName: String? = nil,
                mediaType: String? = nil, size: Int64? = nil, sha256: String, storageKey: String? = nil, location: String? = nil,
                method: String? = nil, createdBy: String, createdAt: Date, purgedAt: Date? = nil, purgedBy: String? = nil) {
        self.purgedAt = purgedAt
        self.purgedBy = purgedBy
        self.id = id
        self.requestID = requestID
        self.itemID = itemID
        self.kind = kind
        self.fileName = fileName
        self.mediaType = mediaType
        self.size = size
        self.sha256 = sha256
        self.storageKey = storageKey
        self.location = location
        self.method = method
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}

/// An entry of the audit chain as the custody manifest quotes it.
public struct AuditEntry: Hashable, Sendable {
    public var seq: Int64
    public var occurredAt: Date
    public var actor: String
    public var action: String
    public var objectType: String
    public var objectID: String
    public var hash: String
    public var prevHash: String
    /// The exact time the hash covers (microseconds since 1970) and the digests of the states before and after.
    public var occurredAtMicros: Int64
    public var beforeDigest: String?
    public var afterDigest: String?

    public init(seq: Int64, occurredAt: Date, actor: String, action: String, objectType: String, objectID: String, hash: String, prevHash: String,
                occurredAtMicros: Int64 = 0, beforeDigest: String? = nil, afterDigest: String? = nil) {
        self.occurredAtMicros = occurredAtMicros
        self.beforeDigest = beforeDigest
        self.afterDigest = afterDigest
        self.seq = seq
        self.occurredAt = occurredAt
        self.actor = actor
        self.action = action
        self.objectType = objectType
        self.objectID = objectID
        self.hash = hash
        self.prevHash = prevHash
    }
}

/// Chain of custody of a request: its artifacts with every upload and download, and the audit events behind them.
public struct CustodyManifest: Hashable, Sendable {
    /// One access to an artifact.
    public struct Access: Hashable, Sendable {
        public var action: String
        public var actor: String
        public var at: Date
        public var auditSeq: Int64

        public init(action: String, actor: String, at: Date, auditSeq: Int64) {
            self.action = action
            self.actor = actor
            self.at = at
            self.auditSeq = auditSeq
        }
    }

    /// An artifact and who touched it.
    public struct Entry: Hashable, Sendable {
        public var artifact: Artifact
        public var accesses: [Access]

        public init(artifact: Artifact, accesses: [Access]) {
            self.artifact = artifact
            self.accesses = accesses
        }
    }

    public var requestID: RequestID
    public var incidentReference: String
    public var entries: [Entry]
    /// The audit events of the request, its items, comments and artifacts, in chain order.
    public var events: [AuditEntry]
    /// Whether the whole audit chain verified when the manifest was produced, and the hash of its last event.
    public var chainIntact: Bool
    public var chainHead: String
    public var generatedAt: Date

    public init(requestID: RequestID, incidentReference: String, entries: [Entry], events: [AuditEntry],
                chainIntact: Bool, chainHead: String, generatedAt: Date) {
        self.requestID = requestID
        self.incidentReference = incidentReference
        self.entries = entries
        self.events = events
        self.chainIntact = chainIntact
        self.chainHead = chainHead
        self.generatedAt = generatedAt
    }
}

/// Filters of the request list.
public struct RequestFilter: Hashable, Sendable {
    public var state: ItemState?
    public var priority: Priority?
    public var org: OrgID?
    /// Only requests with an item past a deadline.
    public var overdueOnly: Bool

    public init(state: ItemState? = nil, priority: Priority? = nil, org: OrgID? = nil, overdueOnly: Bool = false) {
        self.state = state
        self.priority = priority
        self.org = org
        self.overdueOnly = overdueOnly
    }
}
