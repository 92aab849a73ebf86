-- Audit events join the hash chain when their transaction commits, not when the audited statement runs.
--
-- The chain is linear, so appending is serialised (advisory lock 7310001), and a transaction-level lock is held
-- until commit. Taken inside the audited statement, it was held for the rest of the transaction: across every
-- round trip to the application, and for as long as the transaction ran on. One `apply` of a large inventory
-- (seconds in one transaction) stopped every other audited write of the service — filing, transitions,
-- comments, downloads — until it committed.
--
-- Now an audited statement only stages its events (digests computed there, outside the lock) in
-- audit_pending, which the application role cannot read or change; a deferred constraint trigger moves them
-- into the chain at commit, holding the lock for the hashing and the commit record only. Hashes are computed
-- exactly as before: sha256(prev_hash|seq|occurred_at_us|actor|action|object_type|object_id|before|after).
-- All events of one transaction share one timestamp (the moment they were chained).
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

CREATE OR REPLACE FUNCTION audit_append_all(p_actor text, p_actions text[], p_object_type text, p_object_ids text[],
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
