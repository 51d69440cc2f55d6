-- The Results dashboard reads rollups instead of scanning runs, steps,
-- messages and events. Every write that changes a counted row appends a
-- mark (the UTC day the row is counted on) in its own transaction;
-- RefreshAnalytics recomputes the marked days from the raw rows and
-- deletes the marks it read, so the rollups are those rows counted again.
CREATE TABLE analytics_marks (
    id bigserial PRIMARY KEY,
    day text NOT NULL
);
-- One row per journey and UTC day (YYYY-MM-DD) of the runs started, and
-- flow_id '*' for all journeys together. Leads is the day's distinct
-- contacts; chats started are counted on the '*' rows only.
CREATE TABLE analytics_days (
    flow_id text NOT NULL,
    day text NOT NULL,
    entries bigint NOT NULL DEFAULT 0,
    conversions bigint NOT NULL DEFAULT 0,
    leads bigint NOT NULL DEFAULT 0,
    chats_started bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (flow_id, day)
);
-- Message outcomes per journey ('' for messages sent outside one), day
-- the message was created, step, channel and the A/B path its run took
-- at its first split before it ('' for none).
CREATE TABLE analytics_message_steps (
    flow_id text NOT NULL,
    day text NOT NULL,
    node_id text NOT NULL,
    channel text NOT NULL,
    variant text NOT NULL,
    tried bigint NOT NULL DEFAULT 0,
    sent bigint NOT NULL DEFAULT 0,
    delivered bigint NOT NULL DEFAULT 0,
    opened bigint NOT NULL DEFAULT 0,
    clicked bigint NOT NULL DEFAULT 0,
    read bigint NOT NULL DEFAULT 0,
    failed bigint NOT NULL DEFAULT 0,
    bounced bigint NOT NULL DEFAULT 0,
    complained bigint NOT NULL DEFAULT 0,
    unsubscribed bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (flow_id, day, node_id, channel, variant)
);
-- Times from a run's start (by the day it started), in whole seconds, and
-- how many runs took each: kind 'first_contact' or 'convert'.
CREATE TABLE analytics_durations (
    flow_id text NOT NULL,
    day text NOT NULL,
    kind text NOT NULL,
    seconds bigint NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (flow_id, day, kind, seconds)
);
-- The days on which each contact was a lead, with the contact's previous
-- such day ('' for the first). Distinct leads over days D1..D2 are the
-- rows of those days whose previous day is before D1: each contact counts
-- at its first day in the period. analytics_lead_counts sums them.
CREATE TABLE analytics_lead_days (
    flow_id text NOT NULL,
    contact_id text NOT NULL,
    day text NOT NULL,
    prev_day text NOT NULL,
    PRIMARY KEY (flow_id, contact_id, day)
);
CREATE INDEX idx_analytics_lead_days_day ON analytics_lead_days (day);
CREATE TABLE analytics_lead_counts (
    flow_id text NOT NULL,
    day text NOT NULL,
    prev_day text NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (flow_id, day, prev_day)
);
-- The deals created each day with, per journey (and '*' for any), the
-- time since the contact last entered it before the deal: a deal is
-- attributed to the journey when that gap is within the attribution
-- window, whatever window the dashboard asks for.
CREATE TABLE analytics_deals (
    flow_id text NOT NULL,
    day text NOT NULL,
    deal_id text NOT NULL,
    contact_id text NOT NULL,
    stage text NOT NULL,
    value double precision NOT NULL,
    gap_ns bigint NOT NULL,
    PRIMARY KEY (flow_id, day, deal_id)
);
-- The journey's funnel, by the day its runs started: steps per node,
-- status and port; distinct runs that entered each node, failed at it, or
-- went through it and converted; and per path taken (a split's A or B),
-- the distinct runs that took it and how many of them converted.
CREATE TABLE analytics_node_steps (
    flow_id text NOT NULL,
    day text NOT NULL,
    node_id text NOT NULL,
    node_type text NOT NULL,
    status text NOT NULL,
    port text NOT NULL,
    steps bigint NOT NULL,
    PRIMARY KEY (flow_id, day, node_id, node_type, status, port)
);
CREATE TABLE analytics_node_runs (
    flow_id text NOT NULL,
    day text NOT NULL,
    node_id text NOT NULL,
    entered bigint NOT NULL,
    failed bigint NOT NULL,
    converted bigint NOT NULL,
    PRIMARY KEY (flow_id, day, node_id)
);
CREATE TABLE analytics_paths (
    flow_id text NOT NULL,
    day text NOT NULL,
    node_type text NOT NULL,
    node_id text NOT NULL,
    port text NOT NULL,
    entered bigint NOT NULL,
    converted bigint NOT NULL,
    PRIMARY KEY (flow_id, day, node_type, node_id, port)
);
-- The funnel counts the runs waiting now; few runs wait at a time.
CREATE INDEX idx_runs_waiting ON runs (flow_id, started_at) WHERE status = 'waiting';
-- Deals are joined to the runs of their contact by start time.
DROP INDEX idx_runs_contact_id;
CREATE INDEX idx_runs_contact_started ON runs (contact_id, started_at, test, flow_id);
-- Existing history: every day that has runs, messages, chats or deals is marked,
-- so the first refresh builds the rollups.
INSERT INTO analytics_marks (day)
    SELECT DISTINCT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM runs WHERE NOT test;
INSERT INTO analytics_marks (day)
    SELECT DISTINCT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM messages WHERE NOT test;
INSERT INTO analytics_marks (day)
    SELECT DISTINCT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM events WHERE type = 'chat.started' AND NOT test;
INSERT INTO analytics_marks (day)
    SELECT DISTINCT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM deals WHERE NOT test;
