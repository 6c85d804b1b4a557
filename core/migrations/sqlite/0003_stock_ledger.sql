-- Stock that can prove itself: a double-entry ledger of every unit movement, kits, returns and
-- the auditor's findings.

-- Every change to on-hand or to reservations is one row moving `quantity` (> 0) units of a SKU
-- from one account to another, so the sum over all accounts is always zero. Accounts:
--   on_hand:<location>      units physically at a location
--   reserved:<location>     units open orders hold there; reserved:unrouted before routing
--   external:count          counts and imports (the world as a person counted it)
--   external:feed           levels reported by a 3PL or supplier
--   external:customer       units shipped to customers
--   external:return         units coming back from customers
--   external:demand         the other side of a reservation (what open orders ask for)
CREATE TABLE stock_ledger (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    sku           TEXT    NOT NULL,
    quantity      INTEGER NOT NULL CHECK (quantity > 0),
    from_account  TEXT    NOT NULL,
    to_account    TEXT    NOT NULL,
    cause         TEXT    NOT NULL,   -- count | import | feed | reservation | release | route | shipment | return | opening
    reference     TEXT    NOT NULL,   -- what caused it: order, shipment, return, file, feed
    at            INTEGER NOT NULL
);
CREATE INDEX stock_ledger_sku ON stock_ledger (sku, id);

-- Opening balances for databases that existed before the ledger.
INSERT INTO stock_ledger (sku, quantity, from_account, to_account, cause, reference, at)
SELECT sku, quantity, 'external:count', 'on_hand:' || location_id, 'opening', 'balance before the ledger', updated_at
FROM on_hand WHERE quantity > 0;
INSERT INTO stock_ledger (sku, quantity, from_account, to_account, cause, reference, at)
SELECT sku, -quantity, 'on_hand:' || location_id, 'external:count', 'opening', 'balance before the ledger', updated_at
FROM on_hand WHERE quantity < 0;
INSERT INTO stock_ledger (sku, quantity, from_account, to_account, cause, reference, at)
SELECT sku, SUM(quantity), 'external:demand', 'reserved:' || COALESCE(location_id, 'unrouted'), 'opening',
       'balance before the ledger', CAST(strftime('%s', 'now') AS INTEGER) * 1000
FROM reservations GROUP BY sku, location_id HAVING SUM(quantity) > 0;

-- A kit (bundle) SKU is sold as one unit made of components; it has no stock of its own.
-- Mirrors the configuration; replaced whole at every start.
CREATE TABLE kit_components (
    kit_sku        TEXT    NOT NULL,
    component_sku  TEXT    NOT NULL,
    quantity       INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (kit_sku, component_sku)
);
CREATE INDEX kit_components_component ON kit_components (component_sku);

-- Units customers sent back, per order line; restocked units also appear in the ledger.
CREATE TABLE returns (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id     INTEGER NOT NULL REFERENCES orders (id),
    line_id      TEXT    NOT NULL,
    sku          TEXT,
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    restocked    INTEGER NOT NULL,
    location_id  TEXT,
    returned_at  INTEGER NOT NULL
);
CREATE INDEX returns_order ON returns (order_id, line_id);

-- Each audit: when, how many violations, and what they were (JSON).
CREATE TABLE stock_audits (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    violations  INTEGER NOT NULL,
    detail      TEXT    NOT NULL
);

-- When the oldest change a dirty row carries was made, to measure sale-to-channel latency.
ALTER TABLE stock_dirty ADD COLUMN since INTEGER;
