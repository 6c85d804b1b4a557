-- Events out (issue 13, item 7): the ordered log of what happened, written in the transaction
-- of the change it reports, and each webhook subscription's place in it.

-- `id` is the event's position, assigned as MAX(id) + 1 inside the writing transaction, which
-- holds the store's one write lock (SQLite: BEGIN IMMEDIATE on the single writer; PostgreSQL:
-- the advisory lock every write transaction takes first). Positions therefore grow in commit
-- order and a reader resuming after the last id it saw never skips an event.
CREATE TABLE events (
    id        INTEGER PRIMARY KEY,            -- position; never reused (events are not deleted)
    type      TEXT    NOT NULL,               -- order.received | order.routed | ... | stock.changed
    version   BIGINT  NOT NULL,               -- shape of payload
    at        BIGINT  NOT NULL,               -- Unix ms
    order_id  BIGINT,                         -- order.* events
    sku       TEXT,                           -- stock.changed
    payload   TEXT    NOT NULL                -- the event's data, JSON
);
CREATE INDEX events_type ON events (type, id);
CREATE INDEX events_order ON events (order_id, id);

-- The available level (on hand − reserved over every location) the last stock.changed of each
-- SKU reported: the next one is written only when the level differs.
CREATE TABLE event_stock_levels (
    sku        TEXT    PRIMARY KEY,
    available  BIGINT  NOT NULL
);

-- One row per configured webhook subscription (by its `id`).
CREATE TABLE webhook_cursors (
    subscription_id  TEXT    PRIMARY KEY,
    position         BIGINT  NOT NULL,        -- last event delivered or dead-lettered
    attempts         BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT  NOT NULL DEFAULT 0,
    last_error       TEXT,
    delivered        BIGINT  NOT NULL DEFAULT 0,
    updated_at       BIGINT  NOT NULL
);

-- Events a subscriber did not take after the last attempt; an operator replays them.
CREATE TABLE webhook_dead_letters (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id  TEXT    NOT NULL,
    event_id         BIGINT  NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'dead', -- dead | replaying | delivered
    attempts         BIGINT  NOT NULL,
    last_error       TEXT    NOT NULL,
    failed_at        BIGINT  NOT NULL,
    next_attempt_at  BIGINT,
    replayed_at      BIGINT,
    delivered_at     BIGINT,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_dead_letters_state ON webhook_dead_letters (subscription_id, state, next_attempt_at);
