-- Exceptions: what a person must look at, one row per (kind, subject), raised and cleared by
-- the workers, acknowledged or resolved by an operator (`core::exceptions`).
CREATE TABLE exceptions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL,        -- order_held | dead_letter | channel_auth_failing | ...
    subject         TEXT    NOT NULL,        -- order:12 | channel:shop | sku:MUG | ...
    state           TEXT    NOT NULL,        -- open | acknowledged | resolved
    first_at        BIGINT  NOT NULL,        -- Unix ms it (last) opened
    last_at         BIGINT  NOT NULL,        -- Unix ms it was last raised
    count           BIGINT  NOT NULL,        -- times raised since it opened
    message         TEXT    NOT NULL,
    alerted_at      BIGINT  NOT NULL,        -- last alert queued (opening or reminder)
    acknowledged_by TEXT,
    resolved_by     TEXT,
    resolved_at     BIGINT
);
CREATE UNIQUE INDEX exceptions_key ON exceptions (kind, subject);
CREATE INDEX exceptions_state ON exceptions (state, id);

-- The alert queue: one row per opening or reminder, written in the transaction that caused
-- it; each sink reads it past its own cursor.
CREATE TABLE alerts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           BIGINT  NOT NULL,
    reason       TEXT    NOT NULL,           -- opened | reminder
    exception_id BIGINT  NOT NULL REFERENCES exceptions (id)
);

CREATE TABLE alert_sinks (
    sink              TEXT   PRIMARY KEY,    -- webhook:<name> | email
    delivered_through BIGINT NOT NULL,       -- alerts.id sent up to
    attempts          BIGINT NOT NULL,
    next_at           BIGINT NOT NULL,
    last_sent_at      BIGINT,
    last_error        TEXT
);
