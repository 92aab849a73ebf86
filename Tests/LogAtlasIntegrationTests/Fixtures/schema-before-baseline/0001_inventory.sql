-- Inventory: organisations, systems, log sources, attestations; the application role and its
-- row-level security. The application switches to `logatlas_app` in every caller-scoped
-- transaction and sets logatlas.role / logatlas.orgs / logatlas.actor for that transaction.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'logatlas_app') THEN
        CREATE ROLE logatlas_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END $$;
-- The connecting (owner) role must be able to SET ROLE to the application role.
DO $$
BEGIN
    IF NOT pg_has_role(current_user, 'logatlas_app', 'MEMBER') THEN
        EXECUTE format('GRANT logatlas_app TO %I', current_user);
    END IF;
END $$;
GRANT USAGE ON SCHEMA public TO logatlas_app;

-- The caller, as set for the current transaction. Unset means "no rights".
CREATE FUNCTION app_role() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT coalesce(current_setting('logatlas.role', true), '') $$;
CREATE FUNCTION app_orgs() RETURNS text[] LANGUAGE sql STABLE AS
$$ SELECT coalesce(string_to_array(nullif(current_setting('logatlas.orgs', true), ''), ','), '{}') $$;
CREATE FUNCTION app_sees_all() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT app_role() IN ('admin', 'csirt', 'auditor') $$;
CREATE FUNCTION app_is_admin() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT app_role() = 'admin' $$;
CREATE FUNCTION app_is_custodian_of(org text) RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT app_role() = 'custodian' AND org = ANY (app_orgs()) $$;

CREATE TABLE orgs (
    id                 text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name               text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    kind               text NOT NULL CHECK (kind IN ('department', 'subsidiary', 'vendor', 'csirt')),
    parent_id          text REFERENCES orgs (id) ON DELETE RESTRICT CHECK (parent_id <> id),
    contacts           text[] NOT NULL DEFAULT '{}',
    escalation_contact text,
    version            integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE systems (
    id              text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name            text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    owner_org_id    text NOT NULL REFERENCES orgs (id) ON DELETE RESTRICT,
    criticality     text NOT NULL CHECK (criticality IN ('low', 'medium', 'high', 'critical')),
    internet_facing boolean NOT NULL DEFAULT false,
    tags            text[] NOT NULL DEFAULT '{}',
    description     text,
    version         integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, owner_org_id)
);
CREATE INDEX systems_owner_idx ON systems (owner_org_id, id);

CREATE TABLE log_sources (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    system_id           text NOT NULL,
    -- The system's owner, kept in step by the foreign key below so that row-level security
    -- and the org filter need no join.
    system_owner_org_id text NOT NULL,
    name                text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    log_type            text NOT NULL CHECK (log_type ~ '^[a-z]+\.[a-z0-9-]+$'),
    product             text,
    format              text,
    custodian_org_id    text NOT NULL REFERENCES orgs (id) ON DELETE RESTRICT,
    retention_tiers     jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(retention_tiers) = 'array'),
    access_procedure    jsonb CHECK (access_procedure IS NULL OR jsonb_typeof(access_procedure) = 'object'),
    fields              text[] NOT NULL DEFAULT '{}',
    clock_ntp_synced    boolean NOT NULL DEFAULT false,
    clock_timezone      text,
    volume_gb_per_day   double precision CHECK (volume_gb_per_day >= 0),
    notes               text,
    version             integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (system_id, name),
    FOREIGN KEY (system_id, system_owner_org_id) REFERENCES systems (id, owner_org_id)
        ON UPDATE CASCADE ON DELETE RESTRICT
);
CREATE INDEX log_sources_custodian_idx ON log_sources (custodian_org_id);
CREATE INDEX log_sources_owner_idx ON log_sources (system_owner_org_id);
CREATE INDEX log_sources_type_idx ON log_sources (log_type);
CREATE INDEX log_sources_tiers_idx ON log_sources USING gin (retention_tiers jsonb_path_ops);

CREATE TABLE attestations (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source_id        uuid NOT NULL REFERENCES log_sources (id) ON DELETE CASCADE,
    oldest_record_at timestamptz NOT NULL,
    checked_at       timestamptz NOT NULL,
    checked_by       text NOT NULL CHECK (length(btrim(checked_by)) > 0),
    method           text NOT NULL CHECK (length(btrim(method)) > 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (oldest_record_at <= checked_at)
);
CREATE INDEX attestations_source_idx ON attestations (source_id, checked_at DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON orgs, systems, log_sources, attestations TO logatlas_app;

ALTER TABLE orgs ENABLE ROW LEVEL SECURITY;
ALTER TABLE systems ENABLE ROW LEVEL SECURITY;
ALTER TABLE log_sources ENABLE ROW LEVEL SECURITY;
ALTER TABLE attestations ENABLE ROW LEVEL SECURITY;

-- Organisations: everyone but custodians reads all; custodians read their own; only admins write.
CREATE POLICY orgs_read ON orgs FOR SELECT TO logatlas_app
    USING (app_sees_all() OR id = ANY (app_orgs()));
CREATE POLICY orgs_admin ON orgs FOR ALL TO logatlas_app
    USING (app_is_admin()) WITH CHECK (app_is_admin());

-- Systems: custodians read and write the systems their orgs own.
CREATE POLICY systems_read ON systems FOR SELECT TO logatlas_app
    USING (app_sees_all() OR owner_org_id = ANY (app_orgs()));
CREATE POLICY systems_write ON systems FOR ALL TO logatlas_app
    USING (app_is_admin() OR app_is_custodian_of(owner_org_id))
    WITH CHECK (app_is_admin() OR app_is_custodian_of(owner_org_id));

-- Log sources: custodians read and write sources they hold or that sit on systems they own.
CREATE POLICY sources_read ON log_sources FOR SELECT TO logatlas_app
    USING (app_sees_all() OR custodian_org_id = ANY (app_orgs()) OR system_owner_org_id = ANY (app_orgs()));
CREATE POLICY sources_write ON log_sources FOR ALL TO logatlas_app
    USING (app_is_admin() OR app_is_custodian_of(custodian_org_id) OR app_is_custodian_of(system_owner_org_id))
    WITH CHECK (app_is_admin() OR app_is_custodian_of(custodian_org_id) OR app_is_custodian_of(system_owner_org_id));

-- Attestations follow their source (the subquery is itself filtered by sources_read).
CREATE POLICY attestations_read ON attestations FOR SELECT TO logatlas_app
    USING (EXISTS (SELECT 1 FROM log_sources s WHERE s.id = source_id));
CREATE POLICY attestations_write ON attestations FOR INSERT TO logatlas_app
    WITH CHECK (app_role() IN ('admin', 'custodian') AND EXISTS (SELECT 1 FROM log_sources s WHERE s.id = source_id));
