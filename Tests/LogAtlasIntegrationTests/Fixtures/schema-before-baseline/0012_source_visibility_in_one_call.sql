-- Attestations, deliveries and measured lead times are visible exactly when their source is. Their policies said
-- so with `EXISTS (SELECT 1 FROM log_sources …)`, a sub-plan that carries the sources' own policy inside it.
-- That is right, but PostgreSQL sets the sub-plans up on every execution of every statement that touches these
-- tables: reading one source with its latest attestation and its measured lead time (`source_as_caller`, the read
-- behind GET /v1/sources/{id}) cost two to three times as much as reading the source alone.
--
-- The rule is now written once, `app_sees_source_row`, used by the sources' policy (inlined there, as before) and by
-- `app_sees_source`, which looks a source up by id for the other tables' policies: one function call per row
-- checked, skipped for the roles that see every source. The same rows are visible as before.
CREATE FUNCTION app_sees_source_row(p_custodian text, p_owner text) RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT app_sees_all() OR p_custodian = ANY (app_orgs()) OR p_owner = ANY (app_orgs()) $$;

ALTER POLICY sources_read ON log_sources USING (app_sees_source_row(custodian_org_id, system_owner_org_id));

-- Runs as the owner, so the lookup itself is not filtered again; the caller's settings decide.
CREATE FUNCTION app_sees_source(p_source uuid) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM log_sources s WHERE s.id = p_source AND app_sees_source_row(s.custodian_org_id, s.system_owner_org_id));
END $$;
REVOKE ALL ON FUNCTION app_sees_source(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_sees_source(uuid) TO logatlas_app;

ALTER POLICY attestations_read ON attestations USING (app_sees_all() OR app_sees_source(source_id));
ALTER POLICY source_deliveries_read ON source_deliveries USING (app_sees_all() OR app_sees_source(source_id));
ALTER POLICY source_lead_times_read ON source_lead_times USING (app_sees_all() OR app_sees_source(source_id));
