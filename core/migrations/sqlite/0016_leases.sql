-- Leases (issue 10): which replica does which group of work (`core::leases`). One row per
-- lease name: `core`, `channel:<id>`, `partner:<id>`, and `replica:<id>` for liveness.
CREATE TABLE leases (
    name           TEXT   PRIMARY KEY,
    holder         TEXT,                 -- NULL: free (never held, or released)
    acquired_at_ms BIGINT NOT NULL,      -- store clock, Unix ms
    renewed_at_ms  BIGINT NOT NULL,
    expires_at_ms  BIGINT NOT NULL,      -- free to take after this
    generation     BIGINT NOT NULL,      -- +1 each time it changes hands (fencing token)
    takeovers      BIGINT NOT NULL       -- times taken from a holder that stopped renewing
);
