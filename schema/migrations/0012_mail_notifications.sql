-- E-mail notifications, sent from the same outbox as webhooks: a row is either a webhook message (a subscription) or
-- an e-mail (an address and the language to write it in), queued by the same triggers in the transaction of the change
-- it reports, so nothing uncommitted is mailed and nothing committed is lost.

-- A user's address for notifications (`logatlas user email`, or the `email` claim at an OpenID sign-in).
ALTER TABLE users ADD COLUMN email text CHECK (email ~ '^[^@\s<>]+@[^@\s<>]+$' AND length(email) <= 254);

ALTER TABLE webhook_outbox ALTER COLUMN subscription_id DROP NOT NULL,
    ADD COLUMN mail_to text,
    ADD COLUMN mail_language text CHECK (mail_language IN ('en', 'ja')),
    ADD CONSTRAINT webhook_outbox_one_channel CHECK ((subscription_id IS NULL) <> (mail_to IS NULL)
                                                      AND (mail_to IS NULL) = (mail_language IS NULL));
CREATE INDEX webhook_outbox_mail_due_idx ON webhook_outbox (next_attempt_at)
    WHERE mail_to IS NOT NULL AND delivered_at IS NULL AND failed_at IS NULL;

-- Whether e-mail is sent at all: `logatlas serve` sets it at start from its SMTP settings, so that nothing is queued
-- for a service that cannot send it. One row.
CREATE TABLE mail_settings (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    enabled   boolean NOT NULL
);
INSERT INTO mail_settings (enabled) VALUES (false);

CREATE OR REPLACE FUNCTION webhook_enqueue(p_event text, p_item uuid, p_extra jsonb, p_only_org text DEFAULT NULL) RETURNS void
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
    -- E-mail for what the custodian must act on: a new item, an answer to its question, reminders and escalations.
    -- To the custodian organisation's members who have an address, each in their console language; when none has
    -- one, to the organisation's contacts; escalations to its escalation contact as well.
    IF p_event IN ('item.requested', 'item.answer', 'sla.acknowledge.reminder', 'sla.deliver.reminder',
                   'sla.acknowledge.overdue', 'sla.deliver.overdue')
       AND (SELECT enabled FROM mail_settings) THEN
        INSERT INTO webhook_outbox (event, payload, mail_to, mail_language)
        SELECT p_event, v_payload, r.address, min(r.language) FROM (
            SELECT u.email AS address, coalesce(p.language, 'en') AS language
            FROM user_orgs uo JOIN users u ON u.id = uo.user_id LEFT JOIN console_preferences p ON p.user_id = u.id
            WHERE uo.org_id = v_item.custodian_org_id AND u.role = 'custodian' AND u.email IS NOT NULL
            UNION ALL
            SELECT c, 'en' FROM orgs o CROSS JOIN unnest(o.contacts) AS c
            WHERE o.id = v_item.custodian_org_id AND NOT EXISTS (
                SELECT 1 FROM user_orgs uo JOIN users u ON u.id = uo.user_id
                WHERE uo.org_id = v_item.custodian_org_id AND u.role = 'custodian' AND u.email IS NOT NULL)
            UNION ALL
            SELECT o.escalation_contact, 'en' FROM orgs o
            WHERE o.id = v_item.custodian_org_id AND p_event LIKE 'sla.%.overdue' AND o.escalation_contact IS NOT NULL
        ) r
        WHERE r.address ~ '^[^@\s<>]+@[^@\s<>]+$'
        GROUP BY r.address;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION webhook_on_insert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    -- Nobody subscribed and no e-mail: nothing to queue (keeps filing and transitions cheap).
    IF NOT EXISTS (SELECT 1 FROM webhook_subscriptions) AND NOT (SELECT enabled FROM mail_settings) THEN RETURN NULL; END IF;
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
