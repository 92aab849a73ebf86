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
    UNIQUE (request_id, custodian_org_id),
    CHECK (state <> 'rejected' OR length(btrim(reject_reason)) > 0),
    CHECK (state <> 'received' OR length(btrim(outcome)) > 0)
);
CREATE INDEX request_items_custodian_idx ON request_items (custodian_org_id, state);
CREATE INDEX request_items_open_idx ON request_items (deliver_due) WHERE state IN ('requested', 'acknowledged', 'approved', 'in_progress', 'needs_info');

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
