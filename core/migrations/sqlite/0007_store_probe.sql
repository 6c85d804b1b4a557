-- The write probe (`Store::probe_write`): one row, written with room-sized padding and removed
-- again, so a probe needs the same free space a small delivery does. Empty between probes.
CREATE TABLE store_probe (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    pad BLOB NOT NULL
);
