/// The built-in taxonomy of log types and storage media.
public enum Taxonomy {
    /// ATT&CK release the data-component mapping follows.
    public static let attackVersion = "v18"
    /// Sigma taxonomy appendix the logsource mapping follows.
    public static let sigmaVersion = "2.1.0"

    /// Every log type LogAtlas knows, ordered by code.
    public static let logTypes: [LogType] = entries.map { entry in
        LogType(code: entry.0, title: entry.1, attackDataComponents: entry.2, attackDataSources: entry.3, sigma: entry.4)
    }.sorted { $0.code < $1.code }

    private static let byCode: [String: LogType] = Dictionary(uniqueKeysWithValues: logTypes.map { ($0.code, $0) })

    /// The log type with this code, or `nil`.
    public static func logType(_ code: String) -> LogType? { byCode[code] }

    /// All log type codes.
    public static var logTypeCodes: [String] { logTypes.map(\.code) }

    private typealias Entry = (String, String, [String], [String], [SigmaLogsource])
    private static func sigma(_ product: String? = nil, _ service: String? = nil, category: String? = nil) -> SigmaLogsource {
        SigmaLogsource(product: product, service: service, category: category)
    }

    /// The event categories Sysmon's events are filed under in Sigma rules (with `product: windows`).
    private static let sysmonCategories = [
        "process_creation", "process_termination", "process_access", "process_tampering", "create_remote_thread", "raw_access_thread",
        "network_connection", "dns_query", "pipe_created", "image_load", "driver_load", "wmi_event", "clipboard_capture",
        "file_event", "file_change", "file_delete", "file_access", "file_rename", "file_executable_detected", "file_block_executable",
        "file_block_shredding", "create_stream_hash", "registry_event", "registry_add", "registry_delete", "registry_set",
        "registry_rename", "sysmon_status", "sysmon_error",
    ]
    /// Endpoint telemetry categories an EDR records on any operating system.
    private static let edrCategories = [
        "process_creation", "process_access", "create_remote_thread", "network_connection", "dns_query", "image_load",
        "driver_load", "file_event", "file_delete", "file_rename", "registry_event", "registry_add", "registry_delete",
        "registry_set", "pipe_created",
    ]
    /// Windows event channels Sigma rules name as services, besides Security, System, Sysmon and PowerShell.
    private static let windowsChannels = [
        "application", "taskscheduler", "wmi", "windefend", "applocker", "codeintegrity-operational", "bits-client",
        "firewall-as", "ntlm", "printservice-admin", "printservice-operational", "smbclient-security", "security-mitigations",
        "appxdeployment-server", "appxpackaging-om", "dns-client", "lsa-server", "openssh", "driver-framework",
        "terminalservices-localsessionmanager", "msexchange-management", "shell-core", "diagnosis-scripted", "capi2",
        "certificateservicesclient-lifecycle-system",
    ]

    private static let entries: [Entry] = [
        ("network.proxy", "Web proxy / secure web gateway", ["Network Traffic Content", "Network Connection Creation"], ["DS0029"], [sigma(category: "proxy")]),
        ("network.firewall", "Firewall and NAT connection log", ["Network Connection Creation", "Network Traffic Flow", "Firewall Rule Modification"], ["DS0029", "DS0018"], [sigma(category: "firewall")]),
        ("network.dns", "DNS resolver query log", ["Network Traffic Content"], ["DS0029"], [sigma(category: "dns"), sigma("windows", "dns-server"), sigma("zeek", "dns")]),
        ("network.dhcp", "DHCP lease log (MAC–IP)", ["Network Traffic Content"], ["DS0029"], [sigma(category: "dhcp")]),
        ("network.vpn", "VPN / remote access gateway", ["Logon Session Creation", "User Account Authentication", "Network Connection Creation"], ["DS0028", "DS0002", "DS0029"], [sigma(category: "vpn")]),
        ("network.ids", "IDS/IPS alerts", ["Network Traffic Content"], ["DS0029"], [sigma(category: "ids")]),
        ("network.waf", "Web application firewall", ["Network Traffic Content", "Application Log Content"], ["DS0029", "DS0015"], [sigma(category: "waf")]),
        ("network.flow", "NetFlow / IPFIX / VPC flow records", ["Network Traffic Flow"], ["DS0029"], [sigma(category: "network_connection")]),
        ("network.load-balancer", "Load balancer / reverse proxy access log", ["Network Traffic Content", "Network Connection Creation"], ["DS0029"], [sigma(category: "webserver")]),
        ("network.device-admin", "Router/switch AAA and configuration log", ["Logon Session Creation", "Command Execution"], ["DS0028", "DS0017"], [sigma("cisco", "aaa")]),
        ("host.windows-security", "Windows Security event log", ["Logon Session Creation", "User Account Authentication", "Process Creation", "Active Directory Credential Request", "Network Share Access"], ["DS0028", "DS0002", "DS0009", "DS0026", "DS0033"], [sigma("windows", "security")]),
        ("host.windows-system", "Windows System event log", ["Service Creation", "Driver Load"], ["DS0019", "DS0027"], [sigma("windows", "system")]),
        ("host.windows-sysmon", "Sysmon", ["Process Creation", "Network Connection Creation", "File Creation", "Windows Registry Key Modification", "Module Load"], ["DS0009", "DS0029", "DS0022", "DS0024", "DS0011"], [sigma("windows", "sysmon")] + sysmonCategories.map { sigma("windows", category: $0) }),
        ("host.windows-powershell", "PowerShell script block and module logging", ["Script Execution", "Command Execution"], ["DS0012", "DS0017"], [sigma("windows", "powershell"), sigma("windows", "powershell-classic")]
            + ["ps_script", "ps_module", "ps_classic_start", "ps_classic_provider_start", "ps_classic_script"].map { sigma("windows", category: $0) }),
        ("host.windows-channels", "Other Windows event channels (Application, Task Scheduler, Defender, AppLocker, WMI, …)", ["Scheduled Job Creation", "WMI Creation", "Application Log Content"], ["DS0003", "DS0005", "DS0015"],
         windowsChannels.map { sigma("windows", $0) }),
        ("host.linux-auth", "Linux auth/sshd/sudo log", ["Logon Session Creation", "User Account Authentication", "Command Execution"], ["DS0028", "DS0002", "DS0017"], [sigma("linux", "auth"), sigma("linux", "sshd"), sigma("linux", "sudo")]),
        ("host.linux-auditd", "Linux auditd", ["Process Creation", "Command Execution", "File Modification"], ["DS0009", "DS0017", "DS0022"], [sigma("linux", "auditd")] + ["process_creation", "file_event", "network_connection"].map { sigma("linux", category: $0) }),
        ("host.linux-syslog", "Linux system log", ["Service Creation", "Scheduled Job Creation"], ["DS0019", "DS0003"], [sigma("linux", "syslog"), sigma("linux", "cron")]),
        ("host.edr", "Endpoint detection and response telemetry", ["Process Creation", "Command Execution", "File Creation", "Network Connection Creation"], ["DS0009", "DS0017", "DS0022", "DS0029"], edrCategories.map { sigma(category: $0) }),
        ("host.antivirus", "Anti-malware alerts", ["File Creation"], ["DS0022"], [sigma(category: "antivirus")]),
        ("host.file-integrity", "File integrity monitoring", ["File Modification", "File Deletion"], ["DS0022"], [sigma(category: "file_event")]),
        ("identity.directory", "Directory / domain controller (AD) log", ["Active Directory Credential Request", "User Account Creation", "Group Modification", "Logon Session Creation"], ["DS0026", "DS0002", "DS0036", "DS0028"], [sigma("windows", "security")]),
        ("identity.idp", "Identity provider / SSO / MFA sign-ins", ["User Account Authentication", "Logon Session Creation"], ["DS0002", "DS0028", "DS0006"], [sigma("azure", "signinlogs"), sigma("okta", "okta")]),
        ("identity.pam", "Privileged access management sessions", ["Logon Session Creation", "Command Execution"], ["DS0028", "DS0017"], [sigma(category: "application")]),
        ("web.access", "Web server access log", ["Network Traffic Content", "Application Log Content"], ["DS0029", "DS0015"], [sigma(category: "webserver")]),
        ("mail.gateway", "Mail gateway / relay (filtering, spam, phishing)", ["Application Log Content", "Network Traffic Content"], ["DS0015", "DS0029"], [sigma("m365", "exchange")]),
        ("mail.server", "Mail server / mailbox audit", ["Application Log Content", "Logon Session Creation"], ["DS0015", "DS0028"], [sigma("m365", "audit")]),
        ("database.audit", "Database audit log", ["Application Log Content"], ["DS0015"], [sigma(category: "database")]),
        ("cloud.control-plane", "Cloud control plane (CloudTrail, Activity Log, Audit Logs)", ["Cloud Service Modification", "Instance Creation", "User Account Modification"], ["DS0025", "DS0030", "DS0002"], [sigma("aws", "cloudtrail"), sigma("azure", "activitylogs"), sigma("gcp", "gcp.audit")]),
        ("cloud.storage-access", "Cloud storage data access log", ["Cloud Storage Access"], ["DS0010"], [sigma("aws", "cloudtrail")]),
        ("app.audit", "Business application audit log", ["Application Log Content"], ["DS0015"], [sigma(category: "application")]),
        ("app.file-transfer", "FTP/SFTP file transfer log", ["Network Traffic Content", "Logon Session Creation"], ["DS0029", "DS0028"], [sigma(category: "application")]),
        ("app.dlp", "Data loss prevention events", ["Network Traffic Content", "File Access"], ["DS0029", "DS0022"], [sigma(category: "application")]),
    ]
}
