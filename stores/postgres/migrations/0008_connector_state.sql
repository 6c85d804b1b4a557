-- State connectors keep across restarts (Etsy's rotated refresh token, ...), per channel
-- account or partner location, and counters (EDI control numbers).
CREATE TABLE connector_state (
    scope      TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE connector_counters (
    scope      TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    value      BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (scope, name)
);
