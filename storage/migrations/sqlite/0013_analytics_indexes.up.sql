-- Messages and deals by period (the Results screen).
CREATE INDEX idx_messages_created ON messages (created_at);
CREATE INDEX idx_deals_created ON deals (created_at);
