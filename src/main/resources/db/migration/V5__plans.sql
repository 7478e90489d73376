-- Migration plans: up to 10,000 migrations or reversals uploaded at once, checked against Domo
-- (preflight), approved by someone other than their creator, then run item by item through the
-- same audited path as a single request, by whichever replica claims an item. docs/plans.md.

CREATE TABLE plan (
    plan_id             uuid        NOT NULL,
    name                text        NOT NULL,
    direction           text        NOT NULL,
    state               text        NOT NULL,
    max_concurrency     integer     NOT NULL,
    content_hash        text        NOT NULL,
    item_count          integer     NOT NULL,
    approvals_required  integer     NOT NULL,
    created_by          text        NOT NULL,
    created_auth_method text        NOT NULL,
    created_request_id  text        NOT NULL,
    created_at          timestamptz NOT NULL,
    rollback_of         uuid,
    preflight_at        timestamptz NOT NULL,
    started_by          text,
    started_auth_method text,
    started_at          timestamptz,
    finished_at         timestamptz,
    not_before          timestamptz,
    throttle_reason     text,
    updated_at          timestamptz NOT NULL,
    CONSTRAINT pk_plan PRIMARY KEY (plan_id),
    CONSTRAINT fk_plan_rollback_of FOREIGN KEY (rollback_of) REFERENCES plan (plan_id),
    CONSTRAINT ck_plan_direction CHECK (direction IN ('V1_TO_V2', 'V2_TO_V1')),
    CONSTRAINT ck_plan_state CHECK (state IN ('AWAITING_APPROVAL', 'APPROVED', 'REJECTED', 'EXPIRED', 'RUNNING',
                                              'PAUSED', 'CANCELLED', 'FINISHED')),
    CONSTRAINT ck_plan_max_concurrency CHECK (max_concurrency BETWEEN 1 AND 64),
    CONSTRAINT ck_plan_content_hash CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT ck_plan_item_count CHECK (item_count BETWEEN 1 AND 10000),
    CONSTRAINT ck_plan_approvals_required CHECK (approvals_required >= 1),
    CONSTRAINT ck_plan_started CHECK ((started_at IS NULL) = (started_by IS NULL)
        AND (started_by IS NULL) = (started_auth_method IS NULL)),
    CONSTRAINT ck_plan_rollback_direction CHECK (rollback_of IS NULL OR direction = 'V2_TO_V1')
);

COMMENT ON TABLE plan IS 'Migration plans: what was uploaded, by whom, and where the plan stands. Items are in plan_item.';
COMMENT ON COLUMN plan.content_hash IS 'sha256 hex of the canonical JSON of name, direction, maxConcurrency and items (docs/plans.md); never changes';
COMMENT ON COLUMN plan.approvals_required IS 'PROXY_PLAN_APPROVALS_REQUIRED when the plan was created';
COMMENT ON COLUMN plan.created_auth_method IS 'How the creator authenticated (jwt or api-key): the creator is principal and method';
COMMENT ON COLUMN plan.rollback_of IS 'For a rollback plan: the plan whose completed items it reverses';
COMMENT ON COLUMN plan.started_by IS 'Who started the plan: the requester of every operation the plan runs';
COMMENT ON COLUMN plan.not_before IS 'No item is sent before this instant: Domo asked the service to slow down (Retry-After)';

CREATE INDEX ix_plan_created_at ON plan (created_at DESC, plan_id DESC);
CREATE INDEX ix_plan_state ON plan (state, created_at DESC, plan_id DESC);
CREATE INDEX ix_plan_created_by ON plan (created_by, created_at DESC, plan_id DESC);

-- Approvals and rejections, each bound to the content hash the approver saw.
CREATE TABLE plan_approval (
    approval_id  uuid        NOT NULL,
    plan_id      uuid        NOT NULL,
    decided_by   text        NOT NULL,
    auth_method  text        NOT NULL,
    request_id   text        NOT NULL,
    decision     text        NOT NULL,
    content_hash text        NOT NULL,
    comment      text,
    decided_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    CONSTRAINT pk_plan_approval PRIMARY KEY (approval_id),
    CONSTRAINT fk_plan_approval_plan FOREIGN KEY (plan_id) REFERENCES plan (plan_id),
    CONSTRAINT ck_plan_approval_decision CHECK (decision IN ('APPROVE', 'REJECT')),
    CONSTRAINT ck_plan_approval_content_hash CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT ck_plan_approval_expiry CHECK (expires_at > decided_at)
);
CREATE INDEX ix_plan_approval_plan ON plan_approval (plan_id, decided_at);

COMMENT ON TABLE plan_approval IS 'Four-eyes decisions on plans; an approval counts until expires_at (PROXY_PLAN_APPROVAL_TTL) if the plan has not started';

-- The items of a plan, in upload order. state follows the item through the run; operation_id is
-- the item's latest operation, linked in the transaction that commits the operation's intent.
CREATE TABLE plan_item (
    plan_id       uuid        NOT NULL,
    item_id       integer     NOT NULL,
    datasource_id text        NOT NULL,
    account_id    text,
    catalog_name  text,
    schema_name   text,
    table_name    text,
    verdict       text        NOT NULL,
    reason        text,
    state         text        NOT NULL,
    note          text,
    operation_id  uuid,
    attempts      integer     NOT NULL DEFAULT 0,
    claim_token   uuid,
    lease_owner   text,
    lease_until   timestamptz,
    not_before    timestamptz,
    sent_by       text,
    sent_at       timestamptz,
    finished_at   timestamptz,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT pk_plan_item PRIMARY KEY (plan_id, item_id),
    CONSTRAINT fk_plan_item_plan FOREIGN KEY (plan_id) REFERENCES plan (plan_id),
    CONSTRAINT fk_plan_item_operation FOREIGN KEY (operation_id) REFERENCES operation (operation_id),
    CONSTRAINT uq_plan_item_datasource UNIQUE (plan_id, datasource_id),
    CONSTRAINT ck_plan_item_verdict CHECK (verdict IN ('READY', 'ALREADY_DONE', 'BLOCKED')),
    CONSTRAINT ck_plan_item_state CHECK (state IN ('WAITING', 'RUNNING', 'SKIPPED', 'COMPLETE', 'INCOMPLETE',
                                                   'ABORTED', 'FAILED', 'UNKNOWN')),
    CONSTRAINT ck_plan_item_target CHECK (
        (account_id IS NULL) = (catalog_name IS NULL) AND (account_id IS NULL) = (schema_name IS NULL)
        AND (account_id IS NULL) = (table_name IS NULL)),
    CONSTRAINT ck_plan_item_lease CHECK ((claim_token IS NULL) = (lease_owner IS NULL))
);

COMMENT ON TABLE plan_item IS 'Items of a plan: the preflight verdict, the state of the run and the item''s latest operation';
COMMENT ON COLUMN plan_item.item_id IS 'Position in the plan, from 1 (the CSV line minus the header)';
COMMENT ON COLUMN plan_item.state IS 'WAITING, RUNNING (claimed or sent), SKIPPED, or the state of its operation (reconciled state once reconciled)';
COMMENT ON COLUMN plan_item.reason IS 'Why the preflight gave this verdict';
COMMENT ON COLUMN plan_item.note IS 'What happened to the item last during the run (why it waits, why it was skipped)';
COMMENT ON COLUMN plan_item.claim_token IS 'Set by the claim of one replica; only that claim can link the item to an operation';
COMMENT ON COLUMN plan_item.lease_until IS 'The claiming replica owns the item until then; afterwards any replica settles or reclaims it';
COMMENT ON COLUMN plan_item.sent_at IS 'When the current claim committed its operation''s intent; NULL while claimed but not yet sent';

CREATE INDEX ix_plan_item_waiting ON plan_item (plan_id, item_id) WHERE state = 'WAITING';
CREATE INDEX ix_plan_item_unsettled ON plan_item (plan_id) WHERE state IN ('RUNNING', 'UNKNOWN');
CREATE INDEX ix_plan_item_operation ON plan_item (operation_id) WHERE operation_id IS NOT NULL;

-- What happened to a plan and its items, in order, for GET /api/v1/plans/{planId}/events
-- (Server-Sent Events, resumable with Last-Event-ID = seq). Not the audit trail: that is the hash
-- chain, where every plan transition is an event too.
CREATE TABLE plan_event (
    seq        bigint      GENERATED ALWAYS AS IDENTITY,
    plan_id    uuid        NOT NULL,
    kind       text        NOT NULL,
    item_id    integer,
    state      text        NOT NULL,
    data       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT pk_plan_event PRIMARY KEY (seq),
    CONSTRAINT fk_plan_event_plan FOREIGN KEY (plan_id) REFERENCES plan (plan_id),
    CONSTRAINT ck_plan_event_kind CHECK ((kind = 'plan' AND item_id IS NULL) OR (kind = 'item' AND item_id IS NOT NULL))
);
CREATE INDEX ix_plan_event_plan ON plan_event (plan_id, seq);

COMMENT ON TABLE plan_event IS 'Plan and item transitions, streamed as Server-Sent Events; seq is the event id';
COMMENT ON COLUMN plan_event.data IS 'The JSON sent as the event''s data';

-- Operations run for a plan name it.
ALTER TABLE operation ADD CONSTRAINT fk_operation_plan FOREIGN KEY (plan_id) REFERENCES plan (plan_id);
