-- The web console: password hashes, sessions, remembered languages and failed sign-ins. Like api_tokens these
-- tables belong to the owner: the application role cannot read them, and the console reaches them only through
-- IdentityStore before it knows the caller. Secrets are stored as hashes only: a password as a scrypt string
-- (`scrypt$ln$r$p$salt$hash`), a session cookie as its SHA-256.

CREATE TABLE user_passwords (
    user_id       uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    password_hash text NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE console_sessions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_hash  bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    -- Every state-changing form of the session carries this token.
    csrf_token   text NOT NULL CHECK (length(csrf_token) >= 32),
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    ended_at     timestamptz
);
CREATE INDEX console_sessions_user_idx ON console_sessions (user_id) WHERE ended_at IS NULL;

-- The console language a user chose; without a row, the browser's Accept-Language decides.
CREATE TABLE console_preferences (
    user_id  uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    language text NOT NULL CHECK (language IN ('en', 'ja'))
);

-- Failed sign-ins, counted per user name and per address over a sliding window to throttle guessing.
CREATE TABLE sign_in_failures (
    id        bigserial PRIMARY KEY,
    user_name text NOT NULL,
    address   text NOT NULL,
    at        timestamptz NOT NULL
);
CREATE INDEX sign_in_failures_user_idx ON sign_in_failures (user_name, at);
CREATE INDEX sign_in_failures_address_idx ON sign_in_failures (address, at);
