-- Returns as RMAs (core::rules::rma): expected (the channel reported it) → received
-- (restocked or disposed) → refunding (outbox `refund`, key refund:<channel>:<rma>) →
-- refunded, or refund_by_person where the channel has no refund API; an expected one may be
-- cancelled. `returns` keeps the units received per line, now with the RMA they came with.
CREATE TABLE rmas (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id           INTEGER NOT NULL REFERENCES orders (id),
    channel_id         TEXT    NOT NULL,
    external_id        TEXT,             -- the channel's return id, when it reported it
    state              TEXT    NOT NULL, -- expected | received | refunding | refunded | refund_by_person | cancelled
    disposition        TEXT,             -- restock | dispose, once received
    lines              TEXT    NOT NULL, -- [{line_id, quantity}], JSON
    reason             TEXT,
    currency           TEXT    NOT NULL, -- the order's
    refund_amount      TEXT,             -- decimal, in the order's currency, once asked
    refund_id          TEXT,             -- the channel's refund id
    note               TEXT,             -- why a person refunds, or who confirmed it
    created_at         INTEGER NOT NULL,
    received_at        INTEGER,
    refund_asked_at    INTEGER,
    refunded_at        INTEGER,
    updated_at         INTEGER NOT NULL,
    UNIQUE (channel_id, external_id)
);
CREATE INDEX rmas_order ON rmas (order_id);
CREATE INDEX rmas_state ON rmas (state, id);
ALTER TABLE returns ADD COLUMN rma_id INTEGER REFERENCES rmas (id);
-- Each channel's position in the returns it reports.
CREATE TABLE return_cursors (
    channel_id  TEXT    PRIMARY KEY,
    cursor      TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);
