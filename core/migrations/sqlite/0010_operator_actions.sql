-- Every action an operator took (CLI or admin API), with who took it and what came of it.
-- Portable SQL apart from the key column (PostgreSQL: BIGINT GENERATED ALWAYS AS IDENTITY).
CREATE TABLE operator_actions (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       BIGINT  NOT NULL,               -- Unix ms
    actor    TEXT    NOT NULL,               -- `cli:alice`, `api:ops-bot`
    action   TEXT    NOT NULL,               -- ship | release | replay_dead_letter | ...
    target   TEXT    NOT NULL,               -- `order:7`, `dead_letter:3`, `sku:MUG`, ...
    detail   TEXT    NOT NULL,               -- the command's arguments, JSON
    outcome  TEXT    NOT NULL,               -- ok | refused | failed
    message  TEXT    NOT NULL                -- what came of it, as the caller was told
);
CREATE INDEX operator_actions_target ON operator_actions (target, id);

-- The admin API's order list filters by state and date, newest first.
CREATE INDEX orders_state_id ON orders (fulfil_state, id);
CREATE INDEX orders_created_at ON orders (created_at);
CREATE INDEX reservations_location ON reservations (location_id, order_id);
