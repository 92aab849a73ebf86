-- The retrieval broker: requests split into one item per custodian organisation, their transition history,
-- the comment thread, evidence (uploads and hand-overs) and SLA events. Row-level security shows a custodian
-- only its organisations' items and what belongs to them, a CSIRT member only its team's requests.

-- The CSIRT team that filed a request (NULL: any CSIRT member follows it).
CREATE FUNCTION app_in_team(team text) RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT app_role() = 'csirt' AND (team IS NULL OR team = ANY (app_orgs())) $$;
CREATE FUNCTION app_reads_all_requests() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT app_role() IN ('admin', 'auditor') $$;

CREATE TABLE requests (
    id                 uuid PRIMARY KEY,
    incident_reference text NOT NULL CHECK (length(btrim(incident_reference)) BETWEEN 1 AND 100),
    purpose            text NOT NULL CHECK (length(btrim(purpose)) BETWEEN 1 AND 4000),
    priority           text NOT NULL CHECK (priority IN ('informational', 'medium', 'serious', 'critical')),
    window_from        timestamptz NOT NULL,
    window_to          timestamptz NOT NULL,
    hints              jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(hints) = 'object'),
    requester_org_id   text REFERENCES orgs (id) ON DELETE RESTRICT,
    requested_by       text NOT NULL,
    filed_at           timestamptz NOT NULL,
    warnings           text[] NOT NULL DEFAULT '{}',
    CHECK (window_from < window_to)
);
CREATE INDEX requests_filed_idx ON requests (filed_at DESC, id);

CREATE TABLE request_items (
    id               uuid PRIMARY KEY,
    request_id       uuid NOT NULL REFERENCES requests (id) ON DELETE RESTRICT,
    -- Copied from the request so that row-level security needs no join back to it.
    requester_org_id text,
    custodian_org_id text NOT NULL REFERENCES orgs (id) ON DELETE RESTRICT,
    source_ids       uuid[] NOT NULL CHECK (cardinality(source_ids) > 0),
    feasibility      jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(feasibility) = 'array'),
    state            text NOT NULL DEFAULT 'requested' CHECK (state IN ('requested', 'acknowledged', 'approved', 'rejected',
                         'in_progress', 'delivered', 'received', 'needs_info', 'cancelled', 'expired')),
    resume_state     text CHECK (resume_state IS NULL OR state = 'needs_info'),
    acknowledge_due  timestamptz NOT NULL,
    deliver_due      timestamptz NOT NULL,
    preserve_before  timestamptz,
    acknowledged_at  timestamptz,
    delivered_at     timestamptz,
    closed_at        timestamptz,
    reject_reason    text,
    outcome          text,
    version          integer NOT NULL DEFAULT 1 CHECK (version > 0),
    -- When the item's first SLA event (the acknowledgement reminder, half-way to the acknowledgement due date)
    -- comes, so that the SLA pass finds due items through an index.
    sla_from         timestamptz NOT NULL,
    UNIQUE (request_id, custodian_org_id),
    CHECK (state <> 'rejected' OR length(btrim(reject_reason)) > 0),
    CHECK (state <> 'received' OR length(btrim(outcome)) > 0)
);
CREATE INDEX request_items_custodian_idx ON request_items (custodian_org_id, state);
CREATE INDEX request_items_open_idx ON request_items (deliver_due) WHERE state IN ('requested', 'acknowledged', 'approved', 'in_progress', 'needs_info');
CREATE INDEX request_items_sla_from_idx ON request_items (sla_from)
    WHERE state IN ('requested', 'acknowledged', 'approved', 'in_progress', 'needs_info');

CREATE TABLE item_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id    uuid NOT NULL REFERENCES request_items (id) ON DELETE RESTRICT,
    request_id uuid NOT NULL,
    action     text NOT NULL,
    from_state text NOT NULL,
    to_state   text NOT NULL,
    actor      text NOT NULL,
    note       text,
    at         timestamptz NOT NULL
);
CREATE INDEX item_events_item_idx ON item_events (item_id, id);
CREATE INDEX item_events_request_idx ON item_events (request_id, id);

CREATE TABLE request_comments (
    id           uuid PRIMARY KEY,
    request_id   uuid NOT NULL REFERENCES requests (id) ON DELETE RESTRICT,
    author       text NOT NULL,
    author_role  text NOT NULL,
    -- NULL: everyone on the request; an organisation: the requester's team and that custodian only.
    addressed_to text REFERENCES orgs (id) ON DELETE RESTRICT,
    body         text NOT NULL CHECK (length(btrim(body)) BETWEEN 1 AND 20000),
    created_at   timestamptz NOT NULL
);
CREATE INDEX request_comments_request_idx ON request_comments (request_id, created_at);

CREATE TABLE artifacts (
    id          uuid PRIMARY KEY,
    request_id  uuid NOT NULL REFERENCES requests (id) ON DELETE RESTRICT,
    item_id     uuid NOT NULL REFERENCES request_items (id) ON DELETE RESTRICT,
    kind        text NOT NULL CHECK (kind IN ('upload', 'handover')),
    file_name   text CHECK (file_name IS NULL OR length(file_name) BETWEEN 1 AND 255),
    media_type  text,
    size        bigint CHECK (size IS NULL OR size >= 0),
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    storage_key text,
    location    text,
    method      text,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL,
    CHECK (kind <> 'upload' OR (storage_key IS NOT NULL AND size IS NOT NULL)),
    CHECK (kind <> 'handover' OR (length(btrim(location)) > 0 AND length(btrim(method)) > 0))
);
CREATE INDEX artifacts_item_idx ON artifacts (item_id);
CREATE INDEX artifacts_request_idx ON artifacts (request_id);

-- SLA events raised once per item (reminders, overdue escalations, expiry); the job runs as the owner.
CREATE TABLE sla_events (
    item_id   uuid NOT NULL REFERENCES request_items (id) ON DELETE RESTRICT,
    event     text NOT NULL,
    raised_at timestamptz NOT NULL,
    PRIMARY KEY (item_id, event)
);

GRANT SELECT, INSERT ON requests, request_comments, artifacts, item_events TO logatlas_app;
GRANT SELECT, INSERT, UPDATE ON request_items TO logatlas_app;
GRANT SELECT ON sla_events TO logatlas_app;

ALTER TABLE requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE request_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE item_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE request_comments ENABLE ROW LEVEL SECURITY;
ALTER TABLE artifacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE sla_events ENABLE ROW LEVEL SECURITY;

-- Items: admins and auditors read all; the filing team its requests' items; a custodian its organisations' items.
CREATE POLICY items_read ON request_items FOR SELECT TO logatlas_app
    USING (app_reads_all_requests() OR app_in_team(requester_org_id) OR app_is_custodian_of(custodian_org_id));
CREATE POLICY items_file ON request_items FOR INSERT TO logatlas_app
    WITH CHECK (app_is_admin() OR app_in_team(requester_org_id));
-- Who may fire which transition is decided by the state machine; the database limits the rows to the two sides.
CREATE POLICY items_transition ON request_items FOR UPDATE TO logatlas_app
    USING (app_is_admin() OR app_in_team(requester_org_id) OR app_is_custodian_of(custodian_org_id))
    WITH CHECK (app_is_admin() OR app_in_team(requester_org_id) OR app_is_custodian_of(custodian_org_id));

-- Requests: visible to whoever sees one of their items (the subquery is filtered by items_read).
CREATE POLICY requests_read ON requests FOR SELECT TO logatlas_app
    USING (app_reads_all_requests() OR app_in_team(requester_org_id)
           OR EXISTS (SELECT 1 FROM request_items i WHERE i.request_id = requests.id));
CREATE POLICY requests_file ON requests FOR INSERT TO logatlas_app
    WITH CHECK (app_is_admin() OR app_in_team(requester_org_id));

CREATE POLICY item_events_read ON item_events FOR SELECT TO logatlas_app
    USING (EXISTS (SELECT 1 FROM request_items i WHERE i.id = item_id));
CREATE POLICY item_events_write ON item_events FOR INSERT TO logatlas_app
    WITH CHECK (EXISTS (SELECT 1 FROM request_items i WHERE i.id = item_id));

-- Comments: on a visible request; a custodian reads those addressed to all or to its organisations,
-- and writes only to its own organisations.
CREATE POLICY comments_read ON request_comments FOR SELECT TO logatlas_app
    USING (EXISTS (SELECT 1 FROM requests r WHERE r.id = request_id)
           AND (app_role() <> 'custodian' OR addressed_to IS NULL OR addressed_to = ANY (app_orgs())));
CREATE POLICY comments_write ON request_comments FOR INSERT TO logatlas_app
    WITH CHECK (app_role() IN ('admin', 'csirt', 'custodian') AND EXISTS (SELECT 1 FROM requests r WHERE r.id = request_id)
                AND (app_role() <> 'custodian' OR addressed_to = ANY (app_orgs())));

-- Evidence follows its item; only the item's custodian (or an admin) records it.
CREATE POLICY artifacts_read ON artifacts FOR SELECT TO logatlas_app
    USING (EXISTS (SELECT 1 FROM request_items i WHERE i.id = item_id));
CREATE POLICY artifacts_write ON artifacts FOR INSERT TO logatlas_app
    WITH CHECK (EXISTS (SELECT 1 FROM request_items i WHERE i.id = item_id AND (app_is_admin() OR app_is_custodian_of(i.custodian_org_id))));

CREATE POLICY sla_events_read ON sla_events FOR SELECT TO logatlas_app
    USING (EXISTS (SELECT 1 FROM request_items i WHERE i.id = item_id));

CREATE TRIGGER requests_audit_insert AFTER INSERT ON requests REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('request');
CREATE TRIGGER request_items_audit_insert AFTER INSERT ON request_items REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('request-item');
CREATE TRIGGER request_items_audit_update AFTER UPDATE ON request_items REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('request-item');
CREATE TRIGGER request_comments_audit_insert AFTER INSERT ON request_comments REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('comment');
CREATE TRIGGER artifacts_audit_insert AFTER INSERT ON artifacts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('artifact');

-- Measured lead times: each delivered item adds one sample (filing to delivery, in hours) to each of its sources,
-- and the same trigger keeps the per-source statistics (source_lead_times, 0001_inventory) current.
CREATE TABLE source_deliveries (
    source_id    uuid NOT NULL REFERENCES log_sources (id) ON DELETE CASCADE,
    item_id      uuid NOT NULL REFERENCES request_items (id) ON DELETE CASCADE,
    hours        double precision NOT NULL CHECK (hours >= 0),
    delivered_at timestamptz NOT NULL,
    PRIMARY KEY (source_id, item_id)
);

GRANT SELECT ON source_deliveries TO logatlas_app;
ALTER TABLE source_deliveries ENABLE ROW LEVEL SECURITY;
CREATE POLICY source_deliveries_read ON source_deliveries FOR SELECT TO logatlas_app
    USING (app_sees_all() OR app_sees_source(source_id));

CREATE FUNCTION record_delivery() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO source_deliveries (source_id, item_id, hours, delivered_at)
    SELECT src, NEW.id, extract(epoch FROM NEW.delivered_at - r.filed_at) / 3600, NEW.delivered_at
    FROM unnest(NEW.source_ids) AS src JOIN requests r ON r.id = NEW.request_id
    WHERE EXISTS (SELECT 1 FROM log_sources s WHERE s.id = src)
    ON CONFLICT DO NOTHING;
    INSERT INTO source_lead_times (source_id, samples, median_hours, p90_hours)
    SELECT d.source_id, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY d.hours),
           percentile_cont(0.9) WITHIN GROUP (ORDER BY d.hours)
    FROM source_deliveries d WHERE d.source_id = ANY (NEW.source_ids) GROUP BY d.source_id
    ON CONFLICT (source_id) DO UPDATE
        SET samples = EXCLUDED.samples, median_hours = EXCLUDED.median_hours, p90_hours = EXCLUDED.p90_hours;
    RETURN NULL;
END $$;
CREATE TRIGGER request_items_delivered AFTER UPDATE OF delivered_at ON request_items
    FOR EACH ROW WHEN (NEW.delivered_at IS NOT NULL AND OLD.delivered_at IS NULL) EXECUTE FUNCTION record_delivery();

-- Filing as the caller in one statement: the request and its items (one per custodian organisation), audited and
-- chained at commit.
-- p_items: a JSON array of {id, requester_org_id, custodian_org_id, source_ids, feasibility, acknowledge_due,
-- deliver_due, preserve_before}, one per custodian organisation.
CREATE FUNCTION file_request_as_caller(p_role text, p_orgs text, p_actor text, p_id uuid, p_incident_reference text,
                                       p_purpose text, p_priority text, p_window_from timestamptz, p_window_to timestamptz,
                                       p_hints jsonb, p_requester_org_id text, p_requested_by text, p_filed_at timestamptz,
                                       p_warnings text[], p_items jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('role', 'logatlas_app', true), set_config('logatlas.role', p_role, true),
            set_config('logatlas.orgs', p_orgs, true), set_config('logatlas.actor', p_actor, true);
    WITH request AS (
        INSERT INTO requests (id, incident_reference, purpose, priority, window_from, window_to, hints, requester_org_id,
                              requested_by, filed_at, warnings)
        VALUES (p_id, p_incident_reference, p_purpose, p_priority, p_window_from, p_window_to, p_hints, p_requester_org_id,
                p_requested_by, p_filed_at, p_warnings)
        RETURNING id)
    INSERT INTO request_items (id, request_id, requester_org_id, custodian_org_id, source_ids, feasibility,
                               acknowledge_due, deliver_due, preserve_before, sla_from)
    SELECT x.id, (SELECT id FROM request), x.requester_org_id, x.custodian_org_id, x.source_ids, x.feasibility,
           x.acknowledge_due, x.deliver_due, x.preserve_before, p_filed_at + (x.acknowledge_due - p_filed_at) / 2
    FROM jsonb_to_recordset(p_items) AS x(id uuid, requester_org_id text, custodian_org_id text, source_ids uuid[],
                                          feasibility jsonb, acknowledge_due timestamptz, deliver_due timestamptz,
                                          preserve_before timestamptz);
END $$;
