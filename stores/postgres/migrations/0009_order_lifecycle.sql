-- Order lifecycle (issue 14), as SQLite's 0009: when an order must ship and be delivered (the
-- channel's own promise, else placed_at + the channel's handling_time_secs), in milliseconds
-- since the Unix epoch; NULL where neither is known.
ALTER TABLE orders ADD COLUMN ship_by_ms BIGINT;
ALTER TABLE orders ADD COLUMN deliver_by_ms BIGINT;
-- A channel's review window (hold_new_orders_secs): a new order is not routed before this
-- time (first seen + the window); NULL routes at once.
ALTER TABLE orders ADD COLUMN route_after_ms BIGINT;

-- Orders not yet shipped, by ship-by: what `orders late` and the at-risk metric read.
CREATE INDEX orders_ship_by ON orders (ship_by_ms) WHERE ship_by_ms IS NOT NULL;
