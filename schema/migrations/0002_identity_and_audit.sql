-- Users, roles, API tokens (stored as SHA-256 hashes only) and the hash-chained audit trail.

CREATE TABLE users (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL UNIQUE CHECK (name ~ '^[a-zA-Z0-9._@-]{1,100}$'),
    role       text NOT NULL CHECK (role IN ('admin', 'csirt', 'custodian', 'auditor')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_orgs (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id  text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, org_id)
);

CREATE TABLE api_tokens (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the token; the token itself is shown once and never stored.
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    -- First characters of the token, so that a user can tell tokens apart when revoking.
    prefix     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Append-only, hash-chained audit trail. Each hash covers the previous hash and the event's fields:
-- sha256(prev_hash|seq|occurred_at_us|actor|action|object_type|object_id|before_digest|after_digest).
CREATE TABLE audit_events (
    seq           bigint PRIMARY KEY,
    occurred_at   timestamptz NOT NULL,
    actor         text NOT NULL,
    action        text NOT NULL,
    object_type   text NOT NULL,
    object_id     text NOT NULL,
    before_digest text,
    after_digest  text,
    prev_hash     text NOT NULL,
    hash          text NOT NULL
);
CREATE SEQUENCE audit_events_seq;
CREATE INDEX audit_events_object_idx ON audit_events (object_type, object_id);

CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- The hash of one event: it covers the previous event's hash and every field of this one.
CREATE FUNCTION audit_hash(p_prev text, p_seq bigint, p_at timestamptz, p_actor text, p_action text, p_object_type text,
                           p_object_id text, p_before text, p_after text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(concat_ws('|', p_prev, p_seq::text, (extract(epoch FROM p_at) * 1000000)::bigint::text,
        p_actor, p_action, p_object_type, p_object_id, coalesce(p_before, ''), coalesce(p_after, '')), 'UTF8')), 'hex')
$$;

CREATE FUNCTION audit_digest(p_state jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN p_state IS NULL THEN NULL ELSE encode(sha256(convert_to(p_state::text, 'UTF8')), 'hex') END $$;

CREATE FUNCTION audit_actor() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT coalesce(nullif(current_setting('logatlas.actor', true), ''), 'system') $$;

-- Audit events join the chain when their transaction commits: an audited statement only stages its events (digests
-- computed there) in audit_pending, which the application role cannot read or change, and a deferred constraint
-- trigger moves them into the chain at commit, holding the chain's advisory lock (7310001) for the hashing and the
-- commit record only. All events of one transaction share one timestamp (the moment they were chained).
CREATE TABLE audit_pending (
    id          bigserial PRIMARY KEY,
    tx          xid8 NOT NULL DEFAULT pg_current_xact_id(),
    actor       text NOT NULL,
    object_type text NOT NULL,
    actions     text[] NOT NULL,
    object_ids  text[] NOT NULL,
    befores     text[] NOT NULL,
    afters      text[] NOT NULL
);
CREATE INDEX audit_pending_tx_idx ON audit_pending (tx);
REVOKE ALL ON audit_pending FROM PUBLIC;

-- Stages events for the chain (one row per audited statement).
CREATE FUNCTION audit_append_all(p_actor text, p_actions text[], p_object_type text, p_object_ids text[],
                                 p_befores jsonb[], p_afters jsonb[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF coalesce(array_length(p_object_ids, 1), 0) = 0 THEN RETURN; END IF;
    INSERT INTO audit_pending (actor, object_type, actions, object_ids, befores, afters)
    SELECT p_actor, p_object_type, p_actions, p_object_ids,
           array_agg(CASE WHEN u.b IS NULL THEN NULL ELSE encode(sha256(convert_to(u.b::text, 'UTF8')), 'hex') END ORDER BY u.i),
           array_agg(CASE WHEN u.a IS NULL THEN NULL ELSE encode(sha256(convert_to(u.a::text, 'UTF8')), 'hex') END ORDER BY u.i)
    FROM unnest(p_befores, p_afters) WITH ORDINALITY AS u(b, a, i);
END $$;

-- Fired (deferred) once per staged row; the first firing of a transaction chains all of its events, in the
-- order they were staged, and the later ones find nothing left.
CREATE FUNCTION audit_chain_pending() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_actors  text[];
    v_types   text[];
    v_actions text[];
    v_ids     text[];
    v_bs      text[];
    v_as      text[];
    v_count   integer;
    v_prev    text;
    v_at      timestamptz;
    v_micros  text;
    v_seqs    bigint[];
    v_prevs   text[] := '{}';
    v_hashes  text[] := '{}';
BEGIN
    WITH staged AS (DELETE FROM audit_pending WHERE tx = pg_current_xact_id()
                    RETURNING id, actor, object_type, actions, object_ids, befores, afters)
    SELECT array_agg(s.actor ORDER BY s.id, e.i), array_agg(s.object_type ORDER BY s.id, e.i), array_agg(e.action ORDER BY s.id, e.i),
           array_agg(e.object_id ORDER BY s.id, e.i), array_agg(e.b ORDER BY s.id, e.i), array_agg(e.a ORDER BY s.id, e.i)
    INTO v_actors, v_types, v_actions, v_ids, v_bs, v_as
    FROM staged s, unnest(s.actions, s.object_ids, s.befores, s.afters) WITH ORDINALITY AS e(action, object_id, b, a, i);
    v_count := coalesce(array_length(v_ids, 1), 0);
    IF v_count = 0 THEN RETURN NULL; END IF;

    PERFORM pg_advisory_xact_lock(7310001);
    v_at := date_trunc('microseconds', clock_timestamp());
    v_micros := (extract(epoch FROM v_at) * 1000000)::bigint::text;
    SELECT hash INTO v_prev FROM audit_events ORDER BY seq DESC LIMIT 1;
    v_prev := coalesce(v_prev, repeat('0', 64));
    SELECT array_agg(nextval('audit_events_seq') ORDER BY g) INTO v_seqs FROM generate_series(1, v_count) AS g;
    FOR i IN 1..v_count LOOP
        v_prevs := v_prevs || v_prev;
        v_prev := encode(sha256(convert_to(concat_ws('|', v_prev, v_seqs[i]::text, v_micros, v_actors[i], v_actions[i], v_types[i],
                                                      v_ids[i], coalesce(v_bs[i], ''), coalesce(v_as[i], '')), 'UTF8')), 'hex');
        v_hashes := v_hashes || v_prev;
    END LOOP;
    INSERT INTO audit_events (seq, occurred_at, actor, action, object_type, object_id, before_digest, after_digest, prev_hash, hash)
    SELECT e.seq, v_at, e.actor, e.action, e.object_type, e.object_id, e.b, e.a, e.prev, e.hash
    FROM unnest(v_seqs, v_actors, v_actions, v_types, v_ids, v_bs, v_as, v_prevs, v_hashes)
         AS e(seq, actor, action, object_type, object_id, b, a, prev, hash);
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER audit_pending_chain AFTER INSERT ON audit_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_chain_pending();

-- Appends one event (for actions that are not row changes, such as downloads).
CREATE FUNCTION audit_append(p_actor text, p_action text, p_object_type text, p_object_id text,
                             p_before jsonb, p_after jsonb) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS
$$ SELECT audit_append_all(p_actor, ARRAY[p_action], p_object_type, ARRAY[p_object_id], ARRAY[p_before], ARRAY[p_after]) $$;

-- Statement-level audit of a table: one event per changed row, in the same transaction.
-- TG_ARGV[0] is the object type (org, system, source, attestation, user, token).
CREATE FUNCTION audit_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_type text := TG_ARGV[0];
    v_verb text := CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'DELETE' THEN 'delete'
                              ELSE CASE WHEN TG_ARGV[0] = 'token' THEN 'revoke' ELSE 'update' END END;
    v_ids text[];
    v_befores jsonb[];
    v_afters jsonb[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(n.id::text ORDER BY n.id::text), array_agg(NULL::jsonb), array_agg(to_jsonb(n) ORDER BY n.id::text)
        INTO v_ids, v_befores, v_afters FROM new_rows n;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT array_agg(n.id::text ORDER BY n.id::text), array_agg(to_jsonb(o) ORDER BY n.id::text), array_agg(to_jsonb(n) ORDER BY n.id::text)
        INTO v_ids, v_befores, v_afters FROM new_rows n JOIN old_rows o ON o.id = n.id;
    ELSE
        SELECT array_agg(o.id::text ORDER BY o.id::text), array_agg(to_jsonb(o) ORDER BY o.id::text), array_agg(NULL::jsonb)
        INTO v_ids, v_befores, v_afters FROM old_rows o;
    END IF;
    PERFORM audit_append_all(audit_actor(), array_fill(v_type || '.' || v_verb, ARRAY[coalesce(array_length(v_ids, 1), 0)]),
                             v_type, v_ids, v_befores, v_afters);
    RETURN NULL;
END $$;

CREATE TRIGGER orgs_audit_insert AFTER INSERT ON orgs REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('org');
CREATE TRIGGER orgs_audit_update AFTER UPDATE ON orgs REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('org');
CREATE TRIGGER orgs_audit_delete AFTER DELETE ON orgs REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('org');
CREATE TRIGGER systems_audit_insert AFTER INSERT ON systems REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('system');
CREATE TRIGGER systems_audit_update AFTER UPDATE ON systems REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('system');
CREATE TRIGGER systems_audit_delete AFTER DELETE ON systems REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('system');
CREATE TRIGGER sources_audit_insert AFTER INSERT ON log_sources REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('source');
CREATE TRIGGER sources_audit_update AFTER UPDATE ON log_sources REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('source');
CREATE TRIGGER sources_audit_delete AFTER DELETE ON log_sources REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('source');
CREATE TRIGGER attestations_audit_insert AFTER INSERT ON attestations REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('attestation');
CREATE TRIGGER users_audit_insert AFTER INSERT ON users REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('user');
CREATE TRIGGER tokens_audit_insert AFTER INSERT ON api_tokens REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('token');
CREATE TRIGGER tokens_audit_update AFTER UPDATE ON api_tokens REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('token');
