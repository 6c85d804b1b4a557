-- Seller cancellations on the sales channel (`orders cancel`, and the daemon's cancellation of
-- lines held with nowhere to go). One row per request; the channel call is an outbox item
-- (`cancel_order`, key `channel-cancel:<channel>:<external id>:<id>`) queued with the row, or
-- once the partners it waits for confirmed their own cancellation.
CREATE TABLE channel_cancellations (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id         INTEGER NOT NULL REFERENCES orders (id),
    channel_id       TEXT    NOT NULL,
    reason           TEXT    NOT NULL,   -- canonical: out_of_stock | customer_request | ...
    reason_code      TEXT    NOT NULL,   -- the channel's own code for it
    whole            INTEGER NOT NULL,   -- 1: the whole order (PostgreSQL BOOLEAN)
    lines            TEXT    NOT NULL,   -- [{line_id, quantity}] cancelled, JSON
    state            TEXT    NOT NULL,   -- awaiting_partner | queued | done | needs_person | failed
    waits_for        TEXT    NOT NULL,   -- submission keys partners must cancel first, JSON
    idempotency_key  TEXT,               -- the outbox item's, once queued
    requested_by     TEXT    NOT NULL,   -- `cli:alice`, `api:ops`, `daemon`
    detail           TEXT,               -- the last thing that happened, for a person
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);
CREATE INDEX channel_cancellations_order ON channel_cancellations (order_id);
CREATE INDEX channel_cancellations_state ON channel_cancellations (state, id);
