-- As SQLite's 0011: the level each listing's channel last confirmed (a push it applied, its
-- answer to a compare-and-set, a read of its levels). Kept while a push is in doubt, so a
-- backlog that waited out an outage still goes decreases first.
ALTER TABLE listings ADD COLUMN confirmed_quantity BIGINT;
UPDATE listings SET confirmed_quantity = channel_quantity;
