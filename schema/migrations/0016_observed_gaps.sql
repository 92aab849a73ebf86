-- Gaps learned from incidents: what a rejected, expired or insufficient answer showed missing, recorded by the CSIRT
-- against the incident reference. Open until a gap report shows the requirement it implies met (closed with that
-- report) or an admin closes it with a reason. Kept when the system or source is later removed: it is evidence.

CREATE TABLE observed_gaps (
    id                  uuid PRIMARY KEY,
    incident_reference  text NOT NULL CHECK (length(btrim(incident_reference)) BETWEEN 1 AND 100),
    system_id           text NOT NULL,
    -- The system's owner when recorded, so that row-level security needs no join.
    system_owner_org_id text NOT NULL,
    log_type            text NOT NULL CHECK (log_type ~ '^[a-z]+\.[a-z0-9-]+$'),
    source_id           uuid,
    kind                text NOT NULL CHECK (kind IN ('missing', 'too_short', 'too_slow', 'fields_missing')),
    needed_days         integer CHECK (needed_days BETWEEN 1 AND 36500),
    needed_hours        double precision CHECK (needed_hours > 0 AND needed_hours <= 8760),
    fields              text[] NOT NULL DEFAULT '{}',
    note                text NOT NULL DEFAULT '' CHECK (length(note) <= 4000),
    request_id          uuid REFERENCES requests (id) ON DELETE RESTRICT,
    item_id             uuid REFERENCES request_items (id) ON DELETE RESTRICT,
    incident_type       integer CHECK (incident_type IN (100, 200, 300, 400, 500, 600)),
    recorded_by         text NOT NULL,
    recorded_at         timestamptz NOT NULL,
    closed_by           text,
    closed_at           timestamptz,
    close_reason        text CHECK (close_reason IS NULL OR length(btrim(close_reason)) BETWEEN 1 AND 4000),
    closed_by_report    uuid REFERENCES gap_reports (id) ON DELETE SET NULL,
    CHECK ((closed_by IS NULL) = (closed_at IS NULL) AND (closed_at IS NULL) = (close_reason IS NULL)),
    CHECK (kind <> 'too_short' OR needed_days IS NOT NULL),
    CHECK (kind <> 'too_slow' OR needed_hours IS NOT NULL),
    CHECK (kind <> 'fields_missing' OR cardinality(fields) > 0),
    CHECK ((request_id IS NULL) = (item_id IS NULL))
);
CREATE INDEX observed_gaps_open_idx ON observed_gaps (system_id) WHERE closed_at IS NULL;
CREATE INDEX observed_gaps_incident_idx ON observed_gaps (incident_reference);

CREATE TRIGGER observed_gaps_audit_insert AFTER INSERT ON observed_gaps REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('observed_gap');
CREATE TRIGGER observed_gaps_audit_update AFTER UPDATE ON observed_gaps REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('observed_gap');

GRANT SELECT, INSERT, UPDATE ON observed_gaps TO logatlas_app;
ALTER TABLE observed_gaps ENABLE ROW LEVEL SECURITY;

-- The CSIRT, auditors and admins read every gap; a custodian those on systems its organisations own or hold sources
-- on. The CSIRT and admins record them (Principal.mayRecordObservedGaps); only admins close them by hand, and a gap
-- report run by anyone closes the ones it shows met through close_observed_gaps_met.
CREATE POLICY observed_gaps_read ON observed_gaps FOR SELECT TO logatlas_app
    USING (app_sees_all() OR system_owner_org_id = ANY (app_orgs()) OR app_holds_sources_on(system_id));
CREATE POLICY observed_gaps_record ON observed_gaps FOR INSERT TO logatlas_app
    WITH CHECK (app_role() IN ('admin', 'csirt') AND recorded_by = current_setting('logatlas.actor', true) AND closed_at IS NULL);
CREATE POLICY observed_gaps_close ON observed_gaps FOR UPDATE TO logatlas_app
    USING (app_is_admin()) WITH CHECK (app_is_admin());

-- Closes the open gaps among p_ids that the stored report p_report judged met: the report must exist and hold a
-- met finding of each gap (read from its own documents, so no caller can close a gap its report did not show met).
CREATE FUNCTION close_observed_gaps_met(p_ids uuid[], p_report uuid, p_by text, p_at timestamptz) RETURNS SETOF uuid
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE observed_gaps g SET closed_by = p_by, closed_at = p_at, close_reason = 'met in gap report ' || p_report, closed_by_report = p_report
    WHERE g.id = ANY (p_ids) AND g.closed_at IS NULL
      AND EXISTS (SELECT 1 FROM gap_report_orgs o, json_array_elements(o.findings) f
                  WHERE o.report_id = p_report AND (f->>'observed_gap')::uuid = g.id AND f->>'status' = 'met')
    RETURNING g.id
$$;
REVOKE ALL ON FUNCTION close_observed_gaps_met(uuid[], uuid, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION close_observed_gaps_met(uuid[], uuid, text, timestamptz) TO logatlas_app;
