import ArgumentParser
import Foundation
import LogAtlasServer

/// E-mail to custodians over SMTP (`serve`, `mail test`).
struct MailOptions: ParsableArguments {
    @Option(help: "Mail server: smtp://host[:587] (STARTTLS) or smtps://host[:465] (TLS); unset: no e-mail (env: LOGATLAS_SMTP_URL). The login is read from LOGATLAS_SMTP_USERNAME and LOGATLAS_SMTP_PASSWORD.")
    var smtpUrl: String? = Environment.value("LOGATLAS_SMTP_URL")

    @Option(help: "Sender address of notifications (env: LOGATLAS_MAIL_FROM).")
    var mailFrom: String? = Environment.value("LOGATLAS_MAIL_FROM")

    @Option(help: "PEM file of the certificates to trust for the mail server instead of the system's, e.g. an internal CA (env: LOGATLAS_SMTP_CA_FILE).")
    var smtpCaFile: String? = Environment.value("LOGATLAS_SMTP_CA_FILE")

    @Option(help: "The console's address as people reach it, for the links in e-mail, e.g. https://logatlas.example.com (env: LOGATLAS_PUBLIC_URL; default: the listen address).")
    var publicUrl: String? = Environment.value("LOGATLAS_PUBLIC_URL")

    func validate() throws {
        if smtpUrl != nil, mailFrom == nil { throw ValidationError("--smtp-url needs --mail-from (the sender address)") }
    }

    /// The mail settings, or nil without a mail server; `fallbackURL` when no public URL is given.
    func settings(fallbackURL: String) throws -> SMTPSettings? {
        guard let smtpUrl, let mailFrom else { return nil }
        do {
            return try SMTPSettings(url: smtpUrl, username: Environment.value("LOGATLAS_SMTP_USERNAME"),
                                    password: Environment.value("LOGATLAS_SMTP_PASSWORD"), from: mailFrom,
                                    trustedCertificatesFile: smtpCaFile, consoleURL: publicUrl ?? fallbackURL)
        } catch {
            throw ValidationError("--smtp-url: \(error)")
        }
    }
}

/// `logatlas mail test ADDRESS`: sends one message with the configured mail server, to check the settings.
struct MailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mail", abstract: "Check e-mail delivery.", subcommands: [Test.self])

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a test message through the configured mail server.")
        @OptionGroup var mail: MailOptions
        @Argument(help: "Where to send it.") var address: String

        func run() async throws {
            guard let settings = try mail.settings(fallbackURL: "http://127.0.0.1:8080") else {
                throw ValidationError("no mail server: set --smtp-url and --mail-from (or LOGATLAS_SMTP_URL, LOGATLAS_MAIL_FROM)")
            }
            do {
                let code = try await SMTPSender(settings: settings).sendTest(to: address)
                print("sent to \(address) through \(settings.host):\(settings.port) (server answered \(code))")
            } catch {
                throw CommandFailure(description: "not sent: \(error)")
            }
        }
    }
}
