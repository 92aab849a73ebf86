-- Action cards: for an organisation (its defaults) or one of its systems, incident type (100–600) × severity → who
-- acts, how to reach them, the first actions and the logs the responder needs. A system's entries override its
-- owner's defaults cell by cell (ResolvedActionCard). Versioned for concurrent edits, audited, scoped like systems.

CREATE TABLE action_cards (
    id         uuid PRIMARY KEY,
    org_id     text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    system_id  text,
    entries    jsonb NOT NULL CHECK (jsonb_typeof(entries) = 'array'),
    version    integer NOT NULL DEFAULT 1 CHECK (version > 0),
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL,
    -- A system's card moves with the system to a new owner, and goes with it.
    FOREIGN KEY (system_id, org_id) REFERENCES systems (id, owner_org_id) ON UPDATE CASCADE ON DELETE CASCADE
);
CREATE UNIQUE INDEX action_cards_defaults_idx ON action_cards (org_id) WHERE system_id IS NULL;
CREATE UNIQUE INDEX action_cards_system_idx ON action_cards (system_id) WHERE system_id IS NOT NULL;

CREATE TRIGGER action_cards_audit_insert AFTER INSERT ON action_cards REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('action_card');
CREATE TRIGGER action_cards_audit_update AFTER UPDATE ON action_cards REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('action_card');
CREATE TRIGGER action_cards_audit_delete AFTER DELETE ON action_cards REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('action_card');

GRANT SELECT, INSERT, UPDATE, DELETE ON action_cards TO logatlas_app;
ALTER TABLE action_cards ENABLE ROW LEVEL SECURITY;

-- Read by everyone who sees the organisation's systems (the CSIRT, auditors, admins, its custodians, and a vendor
-- holding sources on the system); written by admins and the owner organisation's custodians
-- (Principal.mayEditActionCard).
CREATE POLICY action_cards_read ON action_cards FOR SELECT TO logatlas_app
    USING (app_sees_all() OR org_id = ANY (app_orgs()) OR (system_id IS NOT NULL AND app_holds_sources_on(system_id)));
CREATE POLICY action_cards_write ON action_cards FOR ALL TO logatlas_app
    USING (app_is_admin() OR app_is_custodian_of(org_id)) WITH CHECK (app_is_admin() OR app_is_custodian_of(org_id));
