-- A custodian reads, without changing them, every system on which it holds a log source and the organisation that
-- owns it: an outsourced vendor that keeps the logs of a client's web server must see that system's name, edit its
-- own sources on it, and apply the file it exports (which names the system and its owner). It still sees no other
-- system or organisation, and writes only what its organisations own (systems_write, orgs_admin are unchanged).
-- The functions run as the owner so that the lookup is not filtered again; the caller's settings decide.
CREATE FUNCTION app_holds_sources_on(p_system text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$ SELECT app_role() = 'custodian'
       AND EXISTS (SELECT 1 FROM log_sources s WHERE s.system_id = p_system AND s.custodian_org_id = ANY (app_orgs())) $$;
CREATE FUNCTION app_holds_sources_of(p_owner text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$ SELECT app_role() = 'custodian'
       AND EXISTS (SELECT 1 FROM log_sources s WHERE s.system_owner_org_id = p_owner AND s.custodian_org_id = ANY (app_orgs())) $$;
REVOKE ALL ON FUNCTION app_holds_sources_on(text), app_holds_sources_of(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_holds_sources_on(text), app_holds_sources_of(text) TO logatlas_app;

DROP POLICY systems_read ON systems;
CREATE POLICY systems_read ON systems FOR SELECT TO logatlas_app
    USING (app_sees_all() OR owner_org_id = ANY (app_orgs()) OR app_holds_sources_on(id));
DROP POLICY orgs_read ON orgs;
CREATE POLICY orgs_read ON orgs FOR SELECT TO logatlas_app
    USING (app_sees_all() OR id = ANY (app_orgs()) OR app_holds_sources_of(id));
