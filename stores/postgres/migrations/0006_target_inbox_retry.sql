-- A partner event that cannot be applied must not stop the others: it is retried with a
-- capped backoff and, after a bounded number of attempts, parked as `failed` (kept for an
-- operator: `switchyard partners events --failed`, `partners retry`).
ALTER TABLE target_inbox ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE target_inbox ADD COLUMN last_error TEXT;
ALTER TABLE target_inbox ADD COLUMN next_attempt_at BIGINT;

-- state gains `failed`; both open states are read in order on every scan.
CREATE INDEX target_inbox_open ON target_inbox (id) WHERE state IN ('pending', 'failed');
