-- The level each listing's channel last confirmed: a push it applied, its answer to a
-- compare-and-set, a read of its levels. `channel_quantity` is cleared while a push is in
-- doubt (sent, answer not recorded); this column is not, so a backlog that waited out an
-- outage still goes decreases first (core::stock::decreases_first).
ALTER TABLE listings ADD COLUMN confirmed_quantity INTEGER;
UPDATE listings SET confirmed_quantity = channel_quantity;
