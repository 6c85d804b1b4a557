-- The write probe (`Store::probe_write`): one row, written with room-sized padding and removed
-- again, so a probe needs the same free space a small delivery does. Empty between probes.
CREATE TABLE store_probe (
    id BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    pad BYTEA NOT NULL
);
