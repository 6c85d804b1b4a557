-- Orders handed to fulfilment partners (3PLs, dropship suppliers), and what they said back.

-- One row per (order, partner location): the submit key is also the partner's order reference.
CREATE TABLE fulfillment_submissions (
    idempotency_key   TEXT    PRIMARY KEY,      -- ff:<location>:<channel>:<external id>
    order_id          INTEGER NOT NULL REFERENCES orders (id),
    location_id       TEXT    NOT NULL,
    partner_order_id  TEXT,
    state             TEXT    NOT NULL,          -- queued | submitted | accepted | rejected | cancel_requested | cancelled | shipped
    detail            TEXT,
    updated_at        INTEGER NOT NULL,
    UNIQUE (order_id, location_id)
);

-- Partner events exactly as the adapter read them (webhook or poll), deduplicated per partner
-- on the event's own id, applied by one worker in order.
CREATE TABLE target_inbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    location_id   TEXT    NOT NULL,
    dedup_id      TEXT    NOT NULL,
    event         TEXT    NOT NULL,              -- TargetEvent, JSON
    received_at   INTEGER NOT NULL,
    state         TEXT    NOT NULL DEFAULT 'pending', -- pending | applied | ignored
    processed_at  INTEGER,
    note          TEXT,
    UNIQUE (location_id, dedup_id)
);
CREATE INDEX target_inbox_pending ON target_inbox (id) WHERE state = 'pending';
