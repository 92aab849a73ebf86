-- Stored gap-analysis runs, so that the next run can say what improved and what regressed.
CREATE TABLE gap_reports (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       text NOT NULL,
    policies         text[] NOT NULL,
    org_filter       text,
    system_filter    text,
    inventory_digest text NOT NULL,
    attack_version   text NOT NULL
);
CREATE INDEX gap_reports_created_idx ON gap_reports (created_at DESC);

-- Findings are kept as one JSON document per organisation: the document of an organisation is its row, so
-- row-level security shows a custodian only its own organisations' findings.
CREATE TABLE gap_report_orgs (
    report_id uuid NOT NULL REFERENCES gap_reports (id) ON DELETE CASCADE,
    org_id    text NOT NULL,
    -- The organisation's findings: [{policy_id, requirement_id, requirement_title, clause, target_kind, target_id,
    -- org_id, status, shortfalls, shortfall_types, source_ids, incident_types, weight}, …]
    findings  json NOT NULL,
    PRIMARY KEY (report_id, org_id)
);

GRANT SELECT, INSERT ON gap_reports, gap_report_orgs TO logatlas_app;
ALTER TABLE gap_reports ENABLE ROW LEVEL SECURITY;
ALTER TABLE gap_report_orgs ENABLE ROW LEVEL SECURITY;

-- Every signed-in role may run and read reports; what a report shows is filtered per finding.
CREATE POLICY gap_reports_read ON gap_reports FOR SELECT TO logatlas_app USING (app_role() <> '');
CREATE POLICY gap_reports_write ON gap_reports FOR INSERT TO logatlas_app WITH CHECK (app_role() <> '');
CREATE POLICY gap_report_orgs_read ON gap_report_orgs FOR SELECT TO logatlas_app
    USING (app_sees_all() OR org_id = ANY (app_orgs()));
CREATE POLICY gap_report_orgs_write ON gap_report_orgs FOR INSERT TO logatlas_app
    WITH CHECK (app_sees_all() OR org_id = ANY (app_orgs()));

CREATE TRIGGER gap_reports_audit_insert AFTER INSERT ON gap_reports REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('gap-report');

-- Requirement catalogues uploaded by admins through the API, stored as their YAML (validated on upload with
-- the same loader as shipped files), so that every replica evaluates the same policies.
CREATE TABLE uploaded_policies (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,99}$'),
    yaml        text NOT NULL CHECK (length(yaml) BETWEEN 1 AND 1000000),
    uploaded_by text NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    version     integer NOT NULL DEFAULT 1 CHECK (version > 0)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON uploaded_policies TO logatlas_app;
ALTER TABLE uploaded_policies ENABLE ROW LEVEL SECURITY;
CREATE POLICY uploaded_policies_read ON uploaded_policies FOR SELECT TO logatlas_app USING (app_role() <> '');
CREATE POLICY uploaded_policies_admin ON uploaded_policies FOR ALL TO logatlas_app USING (app_is_admin()) WITH CHECK (app_is_admin());

CREATE TRIGGER uploaded_policies_audit_insert AFTER INSERT ON uploaded_policies REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('policy');
CREATE TRIGGER uploaded_policies_audit_update AFTER UPDATE ON uploaded_policies REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('policy');
CREATE TRIGGER uploaded_policies_audit_delete AFTER DELETE ON uploaded_policies REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('policy');
