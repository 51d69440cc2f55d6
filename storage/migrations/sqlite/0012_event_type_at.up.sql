-- Events by type and time (latest conversation replies, analytics).
CREATE INDEX idx_events_type_at ON events (type, at);
