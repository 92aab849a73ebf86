-- Evidence retention: delivered evidence may hold personal data, so its content is purged a period after its request
-- closes (the request's own period, else the service's default, --evidence-retention-days), unless a legal hold
-- suspends that. An artifact's row stays, with its digest and size, marked purged; the purge is an audit event.
ALTER TABLE requests
    ADD COLUMN evidence_retention_days integer CHECK (evidence_retention_days BETWEEN 1 AND 3650),
    ADD COLUMN legal_hold_reason text CHECK (legal_hold_reason IS NULL OR length(btrim(legal_hold_reason)) BETWEEN 1 AND 1000),
    ADD COLUMN legal_hold_by text,
    ADD COLUMN legal_hold_at timestamptz,
    ADD CONSTRAINT requests_legal_hold_complete
        CHECK ((legal_hold_reason IS NULL) = (legal_hold_at IS NULL) AND (legal_hold_reason IS NULL) = (legal_hold_by IS NULL));
ALTER TABLE artifacts
    ADD COLUMN purged_at timestamptz,
    ADD COLUMN purged_by text,
    ADD CONSTRAINT artifacts_purge_complete CHECK ((purged_at IS NULL) = (purged_by IS NULL));
CREATE INDEX artifacts_unpurged_idx ON artifacts (request_id) WHERE kind = 'upload' AND purged_at IS NULL;

-- When a request closed: when the last of its items did, once all have; NULL while any is open. A security definer,
-- so that a custodian, who sees only its own items, reads the same moment as the requesting team, and the purge job
-- and the API share one definition.
CREATE FUNCTION request_closed_at(p_request uuid) RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT CASE WHEN bool_and(closed_at IS NOT NULL) THEN max(closed_at) END FROM request_items WHERE request_id = p_request
$$;
REVOKE ALL ON FUNCTION request_closed_at(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION request_closed_at(uuid) TO logatlas_app;

-- The requesting team (or an admin) sets the period and places or lifts a legal hold; each change is audited.
GRANT UPDATE (evidence_retention_days, legal_hold_reason, legal_hold_by, legal_hold_at) ON requests TO logatlas_app;
CREATE POLICY requests_retention ON requests FOR UPDATE TO logatlas_app
    USING (app_is_admin() OR app_in_team(requester_org_id))
    WITH CHECK (app_is_admin() OR app_in_team(requester_org_id));
CREATE TRIGGER requests_audit_update AFTER UPDATE ON requests REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('request');
