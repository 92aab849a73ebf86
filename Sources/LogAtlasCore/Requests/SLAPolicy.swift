import Foundation

/// Time allowed to acknowledge and to deliver, per priority, and when an overdue item is given up.
public struct SLAPolicy: Hashable, Sendable {
    /// Allowed seconds for one priority.
    public struct Targets: Hashable, Sendable {
        public var acknowledge: TimeInterval
        public var deliver: TimeInterval

        public init(acknowledge: TimeInterval, deliver: TimeInterval) {
            self.acknowledge = acknowledge
            self.deliver = deliver
        }
    }

    public var targets: [Priority: Targets]
    /// An item still undelivered this many delivery periods after its due date expires.
    public var expiryFactor: Double

    public init(targets: [Priority: Targets] = SLAPolicy.defaultTargets, expiryFactor: Double = 1) {
        self.targets = targets
        self.expiryFactor = expiryFactor
    }

    static let hour: TimeInterval = 3600
    static let day: TimeInterval = 86_400

    /// critical 4 h / 24 h, serious 1 d / 3 d, medium 3 d / 10 d, informational 10 d / 30 d.
    public static let defaultTargets: [Priority: Targets] = [
        .critical: Targets(acknowledge: 4 * hour, deliver: 24 * hour),
        .serious: Targets(acknowledge: 1 * day, deliver: 3 * day),
        .medium: Targets(acknowledge: 3 * day, deliver: 10 * day),
        .informational: Targets(acknowledge: 10 * day, deliver: 30 * day),
    ]

    /// Due dates for a request of `priority` filed at `filedAt`.
    public func dueDates(priority: Priority, filedAt: Date) -> (acknowledge: Date, deliver: Date) {
        let target = targets[priority] ?? SLAPolicy.defaultTargets[priority]!
        return (filedAt.addingTimeInterval(target.acknowledge), filedAt.addingTimeInterval(target.deliver))
    }

    /// Parses overrides such as `critical=2h/12h,medium=2d/7d` (units m, h, d) onto the defaults.
    public static func parse(_ text: String, expiryFactor: Double = 1) throws -> SLAPolicy {
        var policy = SLAPolicy(expiryFactor: expiryFactor)
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let priority = Priority(rawValue: parts[0]) else {
                throw ValidationIssue(path: "sla", message: "'\(entry)': expected PRIORITY=ACK/DELIVER with PRIORITY one of \(Priority.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let times = parts[1].split(separator: "/").map { duration(String($0)) }
            guard times.count == 2, let acknowledge = times[0], let deliver = times[1], acknowledge > 0, acknowledge <= deliver else {
                throw ValidationIssue(path: "sla.\(priority.rawValue)", message: "'\(parts[1])': expected e.g. 4h/24h (acknowledge no later than deliver)")
            }
            policy.targets[priority] = Targets(acknowledge: acknowledge, deliver: deliver)
        }
        return policy
    }

    static func duration(_ text: String) -> TimeInterval? {
        guard let unit = text.last, let value = Double(text.dropLast()), value >= 0 else { return nil }
        switch unit {
        case "m": return value * 60
        case "h": return value * hour
        case "d": return value * day
        default: return nil
        }
    }
}

/// A deadline event the SLA job raises once per item.
public enum SLAEvent: String, CaseIterable, Sendable, Codable {
    /// Half the time to acknowledge has passed.
    case acknowledgeReminder = "acknowledge.reminder"
    /// The acknowledgement is overdue: remind and escalate.
    case acknowledgeOverdue = "acknowledge.overdue"
    case deliverReminder = "deliver.reminder"
    case deliverOverdue = "deliver.overdue"
    /// Long overdue: the item expires.
    case expire

    /// Whether the event goes to the custodian organisation's escalation contact as well.
    public var escalates: Bool { self == .acknowledgeOverdue || self == .deliverOverdue }
}

extension SLAPolicy {
    /// The events due for an item as of `now` that have not been raised yet.
    public func dueEvents(state: ItemState, filedAt: Date, acknowledgeDue: Date, deliverDue: Date,
                          now: Date, raised: Set<SLAEvent>) -> [SLAEvent] {
        var due: [SLAEvent] = []
        func halfway(_ end: Date) -> Date { filedAt.addingTimeInterval(end.timeIntervalSince(filedAt) / 2) }
        if state == .requested {
            if now >= halfway(acknowledgeDue) { due.append(.acknowledgeReminder) }
            if now >= acknowledgeDue { due.append(.acknowledgeOverdue) }
        }
        if state.awaitsDelivery {
            if now >= halfway(deliverDue) { due.append(.deliverReminder) }
            if now >= deliverDue { due.append(.deliverOverdue) }
            let expiry = deliverDue.addingTimeInterval(deliverDue.timeIntervalSince(filedAt) * expiryFactor)
            if now >= expiry { due.append(.expire) }
        }
        return due.filter { !raised.contains($0) }
    }
}
