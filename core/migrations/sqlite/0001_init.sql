-- Every pipeline step reads its input from one of these tables and writes its output plus the
-- next step's work item in one transaction. Times are Unix milliseconds (UTC).

-- Raw deliveries, exactly as received, deduplicated per channel on (order id @ version).
CREATE TABLE inbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id    TEXT    NOT NULL,
    dedup_key     TEXT    NOT NULL,
    source        TEXT    NOT NULL,                  -- webhook | poll | fetch
    topic         TEXT    NOT NULL,
    format        TEXT    NOT NULL,
    external_id   TEXT,
    body          BLOB    NOT NULL,
    received_at   INTEGER NOT NULL,
    state         TEXT    NOT NULL DEFAULT 'pending', -- pending | applied | unchanged | stale | quarantined | fetched | gone
    processed_at  INTEGER,
    error         TEXT,
    UNIQUE (channel_id, dedup_key)
);
CREATE INDEX inbox_pending ON inbox (id) WHERE state = 'pending';
CREATE INDEX inbox_quarantined ON inbox (id) WHERE state = 'quarantined';

-- Where each channel's poller stands; committed with the page it fetched.
CREATE TABLE poll_cursors (
    channel_id  TEXT PRIMARY KEY,
    cursor      TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE orders (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id          TEXT    NOT NULL,
    external_id         TEXT    NOT NULL,
    number              TEXT    NOT NULL,
    status              TEXT    NOT NULL,
    payment_status      TEXT    NOT NULL,
    channel_updated_at  INTEGER NOT NULL,            -- orders only move forward
    canonical           TEXT    NOT NULL,            -- the canonical order, JSON
    fulfil_state        TEXT    NOT NULL DEFAULT 'waiting', -- waiting | to_route | routed | held | shipped | closed
    versions            INTEGER NOT NULL DEFAULT 1,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (channel_id, external_id)
);
CREATE INDEX orders_to_route ON orders (id) WHERE fulfil_state = 'to_route';

-- Units an open order holds, per SKU; location is set once routed.
CREATE TABLE reservations (
    order_id     INTEGER NOT NULL REFERENCES orders (id),
    sku          TEXT    NOT NULL,
    location_id  TEXT,
    quantity     INTEGER NOT NULL,
    PRIMARY KEY (order_id, sku)
);
CREATE INDEX reservations_sku ON reservations (sku);

CREATE TABLE on_hand (
    sku          TEXT    NOT NULL,
    location_id  TEXT    NOT NULL,
    quantity     INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (sku, location_id)
);

-- Each channel's listing of a SKU and the level Switchyard believes the channel holds.
CREATE TABLE listings (
    channel_id        TEXT    NOT NULL,
    sku               TEXT    NOT NULL,
    reference         TEXT    NOT NULL,   -- channel-specific ids, JSON
    source            TEXT    NOT NULL,   -- discovered | configured
    channel_quantity  INTEGER,
    last_pushed_at    INTEGER,
    PRIMARY KEY (channel_id, sku)
);
CREATE INDEX listings_sku ON listings (sku);

-- The stock outbox: one row per (channel, SKU) whose level may have changed. Coalescing by
-- construction; `seq` grows with every change so a push only clears what it computed from.
CREATE TABLE stock_dirty (
    channel_id       TEXT    NOT NULL,
    sku              TEXT    NOT NULL,
    seq              INTEGER NOT NULL,
    cause            TEXT    NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT,
    PRIMARY KEY (channel_id, sku)
);
CREATE INDEX stock_dirty_due ON stock_dirty (channel_id, next_attempt_at);

-- What each push was computed from, so a level on a channel can be explained.
CREATE TABLE stock_pushes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id  TEXT    NOT NULL,
    sku         TEXT    NOT NULL,
    quantity    INTEGER NOT NULL,
    on_hand     INTEGER NOT NULL,
    reserved    INTEGER NOT NULL,
    buffer      INTEGER NOT NULL,
    pushed_at   INTEGER NOT NULL
);
CREATE INDEX stock_pushes_sku ON stock_pushes (channel_id, sku, id);

CREATE TABLE routing_decisions (
    order_id     INTEGER PRIMARY KEY REFERENCES orders (id),
    location_id  TEXT,
    rule         TEXT    NOT NULL,
    explanation  TEXT    NOT NULL,
    decided_at   INTEGER NOT NULL
);

CREATE TABLE shipments (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id         INTEGER NOT NULL REFERENCES orders (id),
    location_id      TEXT    NOT NULL,
    carrier          TEXT    NOT NULL,
    tracking_number  TEXT    NOT NULL,
    detail           TEXT    NOT NULL,   -- the shipment as written back, JSON
    shipped_at       INTEGER NOT NULL,
    UNIQUE (order_id, tracking_number)
);

-- External side effects other than stock, each with its idempotency key.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT    NOT NULL,
    channel_id       TEXT    NOT NULL,
    idempotency_key  TEXT    NOT NULL UNIQUE,
    payload          TEXT    NOT NULL,
    cause            TEXT    NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    done_at          INTEGER
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE done_at IS NULL;

-- Side effects that ran out of attempts, kept for an operator to inspect and replay.
CREATE TABLE dead_letters (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT    NOT NULL,
    channel_id       TEXT    NOT NULL,
    idempotency_key  TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    cause            TEXT    NOT NULL,
    attempts         INTEGER NOT NULL,
    last_error       TEXT    NOT NULL,
    failed_at        INTEGER NOT NULL,
    replayed_at      INTEGER
);
