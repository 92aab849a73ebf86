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
