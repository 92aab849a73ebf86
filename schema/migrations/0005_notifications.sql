-- Webhook notifications: subscriptions per organisation or per user, an outbox filled by triggers in the same
-- transaction as the change it reports (so nothing is announced that did not commit, and nothing committed is
-- lost), and a delivery log. Payloads carry one item only, so a custodian's endpoint never hears of other items.

CREATE TABLE webhook_subscriptions (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id     text REFERENCES orgs (id) ON DELETE CASCADE,
    user_id    uuid REFERENCES users (id) ON DELETE CASCADE,
    url        text NOT NULL CHECK (url ~ '^https?://'),
    -- The HMAC key; needed in clear to sign, shown to the subscriber once at creation.
    secret     text NOT NULL CHECK (length(secret) >= 32),
    -- Event names to send (empty: all), e.g. item.acknowledge, sla.deliver.overdue.
    events     text[] NOT NULL DEFAULT '{}',
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((org_id IS NULL) <> (user_id IS NULL))
);
CREATE INDEX webhook_subscriptions_org_idx ON webhook_subscriptions (org_id);
CREATE INDEX webhook_subscriptions_user_idx ON webhook_subscriptions (user_id);

CREATE TABLE webhook_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event           text NOT NULL,
    payload         jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    -- Gave up after the last retry.
    failed_at       timestamptz
);
CREATE INDEX webhook_outbox_due_idx ON webhook_outbox (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;

CREATE TABLE webhook_deliveries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id   bigint NOT NULL REFERENCES webhook_outbox (id) ON DELETE CASCADE,
    attempt     integer NOT NULL,
    at          timestamptz NOT NULL,
    status_code integer,
    error       text,
    duration_ms integer NOT NULL
);
CREATE INDEX webhook_deliveries_outbox_idx ON webhook_deliveries (outbox_id, id);

-- Subscribers manage their own subscriptions through the API; the delivery job runs as the owner.
GRANT SELECT, INSERT, DELETE ON webhook_subscriptions TO logatlas_app;
GRANT SELECT ON webhook_outbox, webhook_deliveries TO logatlas_app;
ALTER TABLE webhook_subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;

CREATE FUNCTION app_user() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT coalesce(current_setting('logatlas.actor', true), '') $$;

-- Admins see all; others their own user's subscriptions and those of their organisations.
CREATE POLICY subscriptions_read ON webhook_subscriptions FOR SELECT TO logatlas_app
    USING (app_is_admin() OR org_id = ANY (app_orgs())
           OR user_id IN (SELECT u.id FROM users u WHERE u.name = app_user()));
CREATE POLICY subscriptions_write ON webhook_subscriptions FOR INSERT TO logatlas_app
    WITH CHECK (app_is_admin() OR (app_role() IN ('csirt', 'custodian') AND org_id = ANY (app_orgs()))
                OR user_id IN (SELECT u.id FROM users u WHERE u.name = app_user()));
CREATE POLICY subscriptions_delete ON webhook_subscriptions FOR DELETE TO logatlas_app
    USING (app_is_admin() OR (app_role() IN ('csirt', 'custodian') AND org_id = ANY (app_orgs()))
           OR user_id IN (SELECT u.id FROM users u WHERE u.name = app_user()));
CREATE POLICY outbox_read ON webhook_outbox FOR SELECT TO logatlas_app
    USING (EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.id = subscription_id));
CREATE POLICY deliveries_read ON webhook_deliveries FOR SELECT TO logatlas_app
    USING (EXISTS (SELECT 1 FROM webhook_outbox o WHERE o.id = outbox_id));
-- users is not readable by the application role otherwise; the policies above only need names.
GRANT SELECT (id, name) ON users TO logatlas_app;

-- Queues `event` about one item for every subscription that may hear of it: the custodian organisation's and the
-- filing team's subscriptions, and those of the requester and of the members of both organisations.
-- `only_org` narrows a comment addressed to one custodian to that organisation (plus the filing team).
CREATE FUNCTION webhook_enqueue(p_event text, p_item uuid, p_extra jsonb, p_only_org text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_item request_items%ROWTYPE;
    v_request requests%ROWTYPE;
    v_orgs text[];
    v_payload jsonb;
BEGIN
    SELECT * INTO v_item FROM request_items WHERE id = p_item;
    SELECT * INTO v_request FROM requests WHERE id = v_item.request_id;
    IF p_only_org IS NOT NULL AND p_only_org <> v_item.custodian_org_id THEN RETURN; END IF;
    v_orgs := array_remove(ARRAY[v_item.custodian_org_id, v_request.requester_org_id], NULL);
    v_payload := jsonb_build_object(
        'event', p_event,
        'occurred_at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'request', jsonb_build_object('id', v_request.id, 'incident_reference', v_request.incident_reference,
                                      'priority', v_request.priority, 'purpose', v_request.purpose,
                                      'window', jsonb_build_object('from', v_request.window_from, 'to', v_request.window_to)),
        'item', jsonb_build_object('id', v_item.id, 'custodian_org', v_item.custodian_org_id, 'state', v_item.state,
                                   'acknowledge_due', v_item.acknowledge_due, 'deliver_due', v_item.deliver_due,
                                   'preserve_before', v_item.preserve_before,
                                   'preservation', CASE WHEN v_item.preserve_before IS NULL THEN NULL
                                       ELSE 'Preserve before ' || to_char(v_item.preserve_before AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                                            || ': records of the requested window leave a retention tier then.' END)
    ) || coalesce(p_extra, '{}');
    INSERT INTO webhook_outbox (subscription_id, event, payload)
    SELECT s.id, p_event, v_payload FROM webhook_subscriptions s
    WHERE (cardinality(s.events) = 0 OR p_event = ANY (s.events))
      AND (s.org_id = ANY (v_orgs)
           OR s.user_id IN (SELECT u.id FROM users u WHERE u.name = v_request.requested_by)
           OR s.user_id IN (SELECT uo.user_id FROM user_orgs uo WHERE uo.org_id = ANY (v_orgs)));
END $$;

-- One statement-level trigger for every table that announces something: which event, about which item, with
-- which extra fields, follows from the table.
CREATE FUNCTION webhook_on_insert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    -- Nobody subscribed: nothing to queue (keeps filing and transitions cheap).
    IF NOT EXISTS (SELECT 1 FROM webhook_subscriptions) THEN RETURN NULL; END IF;
    CASE TG_TABLE_NAME
    WHEN 'request_items' THEN
        PERFORM webhook_enqueue('item.requested', n.id, NULL) FROM new_rows n;
    WHEN 'item_events' THEN
        PERFORM webhook_enqueue('item.' || n.action, n.item_id,
                                jsonb_build_object('actor', n.actor, 'from', n.from_state, 'to', n.to_state, 'note', n.note))
        FROM new_rows n;
    WHEN 'sla_events' THEN
        PERFORM webhook_enqueue('sla.' || n.event, n.item_id,
                                CASE WHEN n.event IN ('acknowledge.overdue', 'deliver.overdue')
                                     THEN jsonb_build_object('escalate_to', o.escalation_contact) END)
        FROM new_rows n JOIN request_items i ON i.id = n.item_id JOIN orgs o ON o.id = i.custodian_org_id;
    WHEN 'request_comments' THEN
        PERFORM webhook_enqueue('comment.created', i.id, jsonb_build_object('author', n.author, 'body', n.body), n.addressed_to)
        FROM new_rows n JOIN request_items i ON i.request_id = n.request_id;
    WHEN 'artifacts' THEN
        PERFORM webhook_enqueue('artifact.' || CASE WHEN n.kind = 'upload' THEN 'uploaded' ELSE 'handed_over' END, n.item_id,
                                jsonb_build_object('artifact', jsonb_build_object('id', n.id, 'sha256', n.sha256, 'size', n.size,
                                                                                  'file_name', n.file_name, 'by', n.created_by)))
        FROM new_rows n;
    END CASE;
    RETURN NULL;
END $$;
CREATE TRIGGER request_items_webhook AFTER INSERT ON request_items REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_on_insert();
CREATE TRIGGER item_events_webhook AFTER INSERT ON item_events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_on_insert();
CREATE TRIGGER sla_events_webhook AFTER INSERT ON sla_events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_on_insert();
CREATE TRIGGER request_comments_webhook AFTER INSERT ON request_comments REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_on_insert();
CREATE TRIGGER artifacts_webhook AFTER INSERT ON artifacts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_on_insert();

-- Subscriptions are audited like every other change; secrets never enter the audit digest's input in clear
-- (the digest is a hash of the row).
CREATE TRIGGER webhook_subscriptions_audit_insert AFTER INSERT ON webhook_subscriptions REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('webhook');
CREATE TRIGGER webhook_subscriptions_audit_delete AFTER DELETE ON webhook_subscriptions REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows('webhook');
