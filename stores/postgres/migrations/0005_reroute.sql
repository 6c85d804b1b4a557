-- Closed-loop re-routing: locations that refused an order (a rejection, a cancellation) are
-- never offered that order again, and orders whose refused lines wait to be placed again.

CREATE TABLE route_exclusions (
    order_id     BIGINT NOT NULL REFERENCES orders (id),
    location_id  TEXT    NOT NULL,
    reason       TEXT    NOT NULL,               -- `bob rejected BOB-TEE: out of stock`
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (order_id, location_id)
);

-- fulfil_state gains `rerouting`: refused lines are reserved unrouted and wait for the router.
CREATE INDEX orders_to_reroute ON orders (id) WHERE fulfil_state = 'rerouting';
