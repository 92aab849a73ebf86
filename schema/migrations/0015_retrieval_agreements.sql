-- Standing retrieval agreements: a custodian organisation pre-authorises a CSIRT team for a scope of its sources.
-- Active once both sides accepted the current version and within its validity; a change of terms is a new version
-- (the previous one is kept in agreement_versions) that needs both acceptances again. Audited like the inventory.
-- A request names its incident type (100–600) so that agreements limited to some types can cover it; an item an
-- agreement covers is filed approved, with the agreement as the actor of its history.

CREATE TABLE agreements (
    id                    uuid PRIMARY KEY,
    version               integer NOT NULL DEFAULT 1 CHECK (version > 0),
    custodian_org_id      text NOT NULL REFERENCES orgs (id) ON DELETE RESTRICT,
    csirt_org_id          text NOT NULL REFERENCES orgs (id) ON DELETE RESTRICT,
    scope_system_ids      text[] NOT NULL DEFAULT '{}',
    scope_log_types       text[] NOT NULL DEFAULT '{}',
    scope_tags            text[] NOT NULL DEFAULT '{}',
    incident_types        integer[] NOT NULL DEFAULT '{}' CHECK (incident_types <@ ARRAY[100, 200, 300, 400, 500, 600]),
    minimum_severity      text NOT NULL CHECK (minimum_severity IN ('informational', 'medium', 'serious', 'critical')),
    max_window_days       integer NOT NULL CHECK (max_window_days BETWEEN 1 AND 3650),
    delivery_method       text NOT NULL CHECK (delivery_method IN ('search-access', 'file-export', 'vendor-ticket')),
    promised_lead_hours   double precision NOT NULL CHECK (promised_lead_hours > 0 AND promised_lead_hours <= 8760),
    valid_from            timestamptz NOT NULL,
    valid_until           timestamptz NOT NULL,
    approver_name         text NOT NULL CHECK (length(btrim(approver_name)) BETWEEN 1 AND 200),
    approver_role         text NOT NULL CHECK (length(btrim(approver_role)) BETWEEN 1 AND 200),
    legal_basis           text NOT NULL CHECK (length(btrim(legal_basis)) BETWEEN 1 AND 4000),
    custodian_accepted_by text,
    custodian_accepted_at timestamptz,
    csirt_accepted_by     text,
    csirt_accepted_at     timestamptz,
    withdrawn_by          text,
    withdrawn_at          timestamptz,
    -- The version whose lapse reminder went out (the SLA job sends it once per version).
    reminded_version      integer,
    created_by            text NOT NULL,
    created_at            timestamptz NOT NULL,
    CHECK (valid_until > valid_from),
    CHECK ((custodian_accepted_by IS NULL) = (custodian_accepted_at IS NULL)),
    CHECK ((csirt_accepted_by IS NULL) = (csirt_accepted_at IS NULL)),
    CHECK ((withdrawn_by IS NULL) = (withdrawn_at IS NULL))
);
CREATE INDEX agreements_custodian_idx ON agreements (custodian_org_id);
CREATE INDEX agreements_csirt_idx ON agreements (csirt_org_id);

-- Every superseded version as it stood, acceptances included.
CREATE TABLE agreement_versions (
    agreement_id  uuid NOT NULL REFERENCES agreements (id) ON DELETE RESTRICT,
    version       integer NOT NULL,
    snapshot      jsonb NOT NULL,
    superseded_at timestamptz NOT NULL,
    PRIMARY KEY (agreement_id, version)
);

CREATE FUNCTION agreement_keep_version() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO agreement_versions (agreement_id, version, snapshot, superseded_at) VALUES (OLD.id, OLD.version, to_jsonb(OLD), now());
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION agreement_keep_version() FROM PUBLIC;
CREATE TRIGGER agreements_keep_version AFTER UPDATE OF version ON agreements
    FOR EACH ROW WHEN (NEW.version <> OLD.version) EXECUTE FUNCTION agreement_keep_version();

CREATE TRIGGER agreements_audit_insert AFTER INSERT ON agreements REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('agreement');
CREATE TRIGGER agreements_audit_update AFTER UPDATE ON agreements REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('agreement');

GRANT SELECT, INSERT, UPDATE ON agreements TO logatlas_app;
GRANT SELECT ON agreement_versions TO logatlas_app;
ALTER TABLE agreements ENABLE ROW LEVEL SECURITY;
ALTER TABLE agreement_versions ENABLE ROW LEVEL SECURITY;

-- Its two sides read and change it (who may accept for which side is decided by Principal.agreementSides; the
-- database keeps everyone else out); admins and auditors read all.
CREATE FUNCTION app_is_party_to_agreement(p_custodian text, p_csirt text) RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT app_is_admin() OR app_is_custodian_of(p_custodian) OR (app_role() = 'csirt' AND p_csirt = ANY (app_orgs())) $$;
CREATE POLICY agreements_read ON agreements FOR SELECT TO logatlas_app
    USING (app_reads_all_requests() OR app_is_party_to_agreement(custodian_org_id, csirt_org_id));
CREATE POLICY agreements_propose ON agreements FOR INSERT TO logatlas_app
    WITH CHECK (app_is_party_to_agreement(custodian_org_id, csirt_org_id));
CREATE POLICY agreements_change ON agreements FOR UPDATE TO logatlas_app
    USING (app_is_party_to_agreement(custodian_org_id, csirt_org_id))
    WITH CHECK (app_is_party_to_agreement(custodian_org_id, csirt_org_id));
CREATE POLICY agreement_versions_read ON agreement_versions FOR SELECT TO logatlas_app
    USING (EXISTS (SELECT 1 FROM agreements a WHERE a.id = agreement_id));

-- Whether an organisation is a CSIRT team, for whoever proposes an agreement (a custodian does not read other
-- organisations' rows, but names the team it pre-authorises).
CREATE FUNCTION org_is_csirt_team(p_org text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM orgs WHERE id = p_org AND kind = 'csirt')
$$;
REVOKE ALL ON FUNCTION org_is_csirt_team(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION org_is_csirt_team(text) TO logatlas_app;

-- Announces an agreement event to both sides: their webhook subscriptions (organisations and their members) and,
-- when e-mail is on, the members of each side who have an address (the custodian organisation's custodians, the
-- team's CSIRT members; an organisation with none gets its contacts), each in their console language.
CREATE FUNCTION agreement_enqueue(p_event text, p_id uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v agreements%ROWTYPE;
    v_payload jsonb;
BEGIN
    SELECT * INTO v FROM agreements WHERE id = p_id;
    v_payload := jsonb_build_object(
        'event', p_event,
        'occurred_at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'agreement', jsonb_build_object('id', v.id, 'version', v.version, 'custodian_org', v.custodian_org_id,
                                        'csirt_org', v.csirt_org_id, 'valid_from', v.valid_from, 'valid_until', v.valid_until,
                                        'promised_lead_hours', v.promised_lead_hours));
    INSERT INTO webhook_outbox (subscription_id, event, payload)
    SELECT s.id, p_event, v_payload FROM webhook_subscriptions s
    WHERE (cardinality(s.events) = 0 OR p_event = ANY (s.events))
      AND (s.org_id IN (v.custodian_org_id, v.csirt_org_id)
           OR s.user_id IN (SELECT uo.user_id FROM user_orgs uo WHERE uo.org_id IN (v.custodian_org_id, v.csirt_org_id)));
    IF (SELECT enabled FROM mail_settings) THEN
        INSERT INTO webhook_outbox (event, payload, mail_to, mail_language)
        SELECT p_event, v_payload, r.address, min(r.language) FROM (
            SELECT u.email AS address, coalesce(p.language, 'en') AS language, side.org
            FROM (VALUES (v.custodian_org_id, 'custodian'), (v.csirt_org_id, 'csirt')) AS side (org, role)
            JOIN user_orgs uo ON uo.org_id = side.org JOIN users u ON u.id = uo.user_id AND u.role = side.role
            LEFT JOIN console_preferences p ON p.user_id = u.id
            WHERE u.email IS NOT NULL
            UNION ALL
            SELECT c, 'en', o.id FROM orgs o CROSS JOIN unnest(o.contacts) AS c
            WHERE o.id IN (v.custodian_org_id, v.csirt_org_id) AND NOT EXISTS (
                SELECT 1 FROM user_orgs uo JOIN users u ON u.id = uo.user_id
                WHERE uo.org_id = o.id AND u.role IN ('custodian', 'csirt') AND u.email IS NOT NULL)
        ) r
        WHERE r.address ~ '^[^@\s<>]+@[^@\s<>]+$'
        GROUP BY r.address;
    END IF;
END $$;
REVOKE ALL ON FUNCTION agreement_enqueue(text, uuid) FROM PUBLIC;

-- The SLA job's reminder: active agreements lapsing within p_lead, not yet reminded for their version.
CREATE FUNCTION remind_lapsing_agreements(p_now timestamptz, p_lead interval) RETURNS SETOF uuid
LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid;
BEGIN
    FOR v_id IN
        UPDATE agreements SET reminded_version = version
        WHERE withdrawn_at IS NULL AND custodian_accepted_at IS NOT NULL AND csirt_accepted_at IS NOT NULL
          AND valid_from <= p_now AND valid_until > p_now AND valid_until <= p_now + p_lead
          AND reminded_version IS DISTINCT FROM version
        RETURNING id
    LOOP
        PERFORM agreement_enqueue('agreement.lapsing', v_id);
        RETURN NEXT v_id;
    END LOOP;
END $$;

ALTER TABLE requests ADD COLUMN incident_type integer CHECK (incident_type IN (100, 200, 300, 400, 500, 600));
ALTER TABLE request_items ADD COLUMN agreement_id uuid REFERENCES agreements (id) ON DELETE RESTRICT,
    ADD COLUMN agreement_version integer,
    ADD COLUMN agreement_lead_hours double precision,
    ADD CHECK ((agreement_id IS NULL) = (agreement_version IS NULL) AND (agreement_id IS NULL) = (agreement_lead_hours IS NULL));

-- Filing as the caller in one statement: the request, its items (one per custodian organisation, with the
-- prediction's earliest delivery and the agreement that approved it, if any) and the history standing agreements
-- wrote, audited and chained at commit.
-- p_items: a JSON array of {id, requester_org_id, custodian_org_id, source_ids, feasibility, state, acknowledge_due,
-- deliver_due, preserve_before, acknowledged_at, feasible_by, agreement_id, agreement_version, agreement_lead_hours}.
-- p_events: a JSON array of {item_id, action, from_state, to_state, actor, note, at}.
DROP FUNCTION file_request_as_caller(text, text, text, uuid, text, text, text, timestamptz, timestamptz, jsonb, text, text,
                                     timestamptz, text[], jsonb);
CREATE FUNCTION file_request_as_caller(p_role text, p_orgs text, p_actor text, p_id uuid, p_incident_reference text,
                                       p_purpose text, p_priority text, p_window_from timestamptz, p_window_to timestamptz,
                                       p_hints jsonb, p_requester_org_id text, p_requested_by text, p_filed_at timestamptz,
                                       p_warnings text[], p_items jsonb, p_incident_type integer, p_events jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('role', 'logatlas_app', true), set_config('logatlas.role', p_role, true),
            set_config('logatlas.orgs', p_orgs, true), set_config('logatlas.actor', p_actor, true);
    WITH request AS (
        INSERT INTO requests (id, incident_reference, purpose, priority, window_from, window_to, hints, requester_org_id,
                              requested_by, filed_at, warnings, incident_type)
        VALUES (p_id, p_incident_reference, p_purpose, p_priority, p_window_from, p_window_to, p_hints, p_requester_org_id,
                p_requested_by, p_filed_at, p_warnings, p_incident_type)
        RETURNING id)
    INSERT INTO request_items (id, request_id, requester_org_id, custodian_org_id, source_ids, feasibility, state,
                               acknowledge_due, deliver_due, preserve_before, acknowledged_at, feasible_by, agreement_id,
                               agreement_version, agreement_lead_hours, sla_from)
    SELECT x.id, (SELECT id FROM request), x.requester_org_id, x.custodian_org_id, x.source_ids, x.feasibility, x.state,
           x.acknowledge_due, x.deliver_due, x.preserve_before, x.acknowledged_at, x.feasible_by, x.agreement_id,
           x.agreement_version, x.agreement_lead_hours, p_filed_at + (x.acknowledge_due - p_filed_at) / 2
    FROM jsonb_to_recordset(p_items) AS x(id uuid, requester_org_id text, custodian_org_id text, source_ids uuid[],
                                          feasibility jsonb, state text, acknowledge_due timestamptz, deliver_due timestamptz,
                                          preserve_before timestamptz, acknowledged_at timestamptz, feasible_by timestamptz,
                                          agreement_id uuid, agreement_version integer, agreement_lead_hours double precision);
    INSERT INTO item_events (item_id, request_id, action, from_state, to_state, actor, note, at)
    SELECT e.item_id, p_id, e.action, e.from_state, e.to_state, e.actor, e.note, e.at
    FROM jsonb_to_recordset(p_events) AS e(item_id uuid, action text, from_state text, to_state text, actor text, note text,
                                           at timestamptz);
END $$;

-- What filing reads besides the sources, as the caller in one statement each: the agreements between the team and
-- the custodians, and the tags of the sources' systems (agreement scopes may name tags).
CREATE FUNCTION agreements_as_caller(p_role text, p_orgs text, p_actor text, p_team text, p_custodians text[]) RETURNS SETOF agreements
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('role', 'logatlas_app', true), set_config('logatlas.role', p_role, true),
            set_config('logatlas.orgs', p_orgs, true), set_config('logatlas.actor', p_actor, true);
    RETURN QUERY SELECT * FROM agreements WHERE csirt_org_id = p_team AND custodian_org_id = ANY (p_custodians);
END $$;

CREATE FUNCTION system_tags_as_caller(p_role text, p_orgs text, p_actor text, p_ids text[]) RETURNS TABLE (id text, tags text[])
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('role', 'logatlas_app', true), set_config('logatlas.role', p_role, true),
            set_config('logatlas.orgs', p_orgs, true), set_config('logatlas.actor', p_actor, true);
    RETURN QUERY SELECT s.id, s.tags FROM systems s WHERE s.id = ANY (p_ids);
END $$;
