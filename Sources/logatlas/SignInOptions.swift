import ArgumentParser
import Foundation
import LogAtlasCore
import LogAtlasFormats
import LogAtlasServer

/// How people sign in to the console: LogAtlas passwords, the organisation's OpenID Connect provider, or both.
struct SignInOptions: ParsableArguments {
    @Option(help: "Issuer of the OpenID Connect provider the console signs in with, exactly as its ID tokens name it (env: LOGATLAS_OIDC_ISSUER).")
    var oidcIssuer: String? = Environment.value("LOGATLAS_OIDC_ISSUER")

    @Option(help: "This service's client ID at the provider (env: LOGATLAS_OIDC_CLIENT_ID). The client secret, if any, is read from LOGATLAS_OIDC_CLIENT_SECRET.")
    var oidcClientId: String? = Environment.value("LOGATLAS_OIDC_CLIENT_ID")

    @Option(help: "The callback registered at the provider, https://HOST/login/oidc/callback (env: LOGATLAS_OIDC_REDIRECT_URL).")
    var oidcRedirectUrl: String? = Environment.value("LOGATLAS_OIDC_REDIRECT_URL")

    @Option(help: "YAML file of the rules that turn the provider's claims into a role and organisations (env: LOGATLAS_OIDC_MAPPING).")
    var oidcMapping: String? = Environment.value("LOGATLAS_OIDC_MAPPING")

    @Option(help: "The provider's name on the sign-in button (env: LOGATLAS_OIDC_NAME).")
    var oidcName: String = Environment.value("LOGATLAS_OIDC_NAME") ?? "single sign-on"

    @Flag(inversion: .prefixedNo, help: "Whether the console also accepts LogAtlas passwords; switch off only with a provider (env: LOGATLAS_LOCAL_PASSWORDS=0).")
    var localPasswords: Bool = Environment.value("LOGATLAS_LOCAL_PASSWORDS") != "0"

    func validate() throws {
        let given = [oidcIssuer, oidcClientId, oidcRedirectUrl, oidcMapping].map { $0 != nil }
        if given.contains(true), given.contains(false) {
            throw ValidationError("OpenID Connect sign-in needs --oidc-issuer, --oidc-client-id, --oidc-redirect-url and --oidc-mapping together")
        }
        if !localPasswords, oidcIssuer == nil { throw ValidationError("--no-local-passwords needs an OpenID Connect provider (--oidc-issuer …)") }
    }

    /// The provider's settings, with the mapping file read and checked (problems by file:line:column).
    func settings() throws -> OpenIDSettings? {
        guard let oidcIssuer, let oidcClientId, let oidcRedirectUrl, let oidcMapping else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: oidcMapping))
        let mapping = try OpenIDMappingYAML.decode(data, file: oidcMapping)
        return OpenIDSettings(issuer: oidcIssuer, clientID: oidcClientId, clientSecret: Environment.value("LOGATLAS_OIDC_CLIENT_SECRET"),
                              redirectURL: oidcRedirectUrl, mapping: mapping, displayName: oidcName)
    }
}
