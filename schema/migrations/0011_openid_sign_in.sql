-- Console sign-in through the organisation's OpenID Connect provider. Like the console's other tables these belong
-- to the owner: the application role cannot read them.

-- Which person at which provider a LogAtlas user is: the ID token's issuer and subject, stable where names and
-- e-mail addresses are not. A user is linked on first sign-in.
CREATE TABLE user_identities (
    issuer    text NOT NULL,
    subject   text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    linked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, subject)
);

-- Sign-ins started and not yet answered by the provider: the SHA-256 of the state (the browser holds the state in
-- a cookie too), the nonce the ID token must carry and the PKCE code verifier. Any replica can finish a sign-in
-- another started; a row is used once.
CREATE TABLE openid_logins (
    state_hash    bytea PRIMARY KEY CHECK (length(state_hash) = 32),
    nonce         text NOT NULL,
    code_verifier text NOT NULL CHECK (length(code_verifier) BETWEEN 43 AND 128),
    created_at    timestamptz NOT NULL
);

-- A sign-in rule may change a user's role; that is audited like the user's creation.
CREATE TRIGGER users_audit_update AFTER UPDATE ON users REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('user');
