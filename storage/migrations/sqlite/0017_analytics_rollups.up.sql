-- The Results dashboard reads rollups instead of scanning runs, steps,
-- messages and events. Every write that changes a counted row appends a
-- mark (the UTC day the row is counted on) in its own transaction;
-- RefreshAnalytics recomputes the marked days from the raw rows and
-- deletes the marks it read, so the rollups are those rows counted again.
CREATE TABLE analytics_marks (
    id integer PRIMARY KEY,
    day text NOT NULL
);
-- One row per journey and UTC day (YYYY-MM-DD) of the runs started, and
-- flow_id '*' for all journeys together. Leads is the day's distinct
-- contacts; chats started are counted on the '*' rows only.
CREATE TABLE analytics_days (
    flow_id text NOT NULL,
    day text NOT NULL,
    entries integer NOT NULL DEFAULT 0,
    conversions integer NOT NULL DEFAULT 0,
    leads integer NOT NULL DEFAULT 0,
    chats_started integer NOT NULL DEFAULT 0,
    PRIMARY KEY (flow_id, day)
) WITHOUT ROWID;
-- Message outcomes per journey ('' for messages sent outside one), day
-- the message was created, step, channel and the A/B path its run took
-- at its first split before it ('' for none).
CREATE TABLE analytics_message_steps (
    flow_id text NOT NULL,
    day text NOT NULL,
    node_id text NOT NULL,
    channel text NOT NULL,
    variant text NOT NULL,
    tried integer NOT NULL DEFAULT 0,
    sent integer NOT NULL DEFAULT 0,
    delivered integer NOT NULL DEFAULT 0,
    opened integer NOT NULL DEFAULT 0,
    clicked integer NOT NULL DEFAULT 0,
    read integer NOT NULL DEFAULT 0,
    failed integer NOT NULL DEFAULT 0,
    bounced integer NOT NULL DEFAULT 0,
    complained integer NOT NULL DEFAULT 0,
    unsubscribed integer NOT NULL DEFAULT 0,
    PRIMARY KEY (flow_id, day, node_id, channel, variant)
) WITHOUT ROWID;
-- Times from a run's start (by the day it started), in whole seconds, and
-- how many runs took each: kind 'first_contact' or 'convert'.
CREATE TABLE analytics_durations (
    flow_id text NOT NULL,
    day text NOT NULL,
    kind text NOT NULL,
    seconds integer NOT NULL,
    n integer NOT NULL,
    PRIMARY KEY (flow_id, day, kind, seconds)
) WITHOUT ROWID;
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
) WITHOUT ROWID;
CREATE INDEX idx_analytics_lead_days_day ON analytics_lead_days (day);
CREATE TABLE analytics_lead_counts (
    flow_id text NOT NULL,
    day text NOT NULL,
    prev_day text NOT NULL,
    n integer NOT NULL,
    PRIMARY KEY (flow_id, day, prev_day)
) WITHOUT ROWID;
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
    value real NOT NULL,
    gap_ns integer NOT NULL,
    PRIMARY KEY (flow_id, day, deal_id)
) WITHOUT ROWID;
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
    steps integer NOT NULL,
    PRIMARY KEY (flow_id, day, node_id, node_type, status, port)
) WITHOUT ROWID;
CREATE TABLE analytics_node_runs (
    flow_id text NOT NULL,
    day text NOT NULL,
    node_id text NOT NULL,
    entered integer NOT NULL,
    failed integer NOT NULL,
    converted integer NOT NULL,
    PRIMARY KEY (flow_id, day, node_id)
) WITHOUT ROWID;
CREATE TABLE analytics_paths (
    flow_id text NOT NULL,
    day text NOT NULL,
    node_type text NOT NULL,
    node_id text NOT NULL,
    port text NOT NULL,
    entered integer NOT NULL,
    converted integer NOT NULL,
    PRIMARY KEY (flow_id, day, node_type, node_id, port)
) WITHOUT ROWID;
-- The funnel counts the runs waiting now; few runs wait at a time.
CREATE INDEX idx_runs_waiting ON runs (flow_id, started_at) WHERE status = 'waiting';
-- Deals are joined to the runs of their contact by start time.
DROP INDEX idx_runs_contact_id;
CREATE INDEX idx_runs_contact_started ON runs (contact_id, started_at, test, flow_id);
-- Existing history: every day that has runs, messages, chats or deals is marked,
-- so the first refresh builds the rollups.
INSERT INTO analytics_marks (day)
    SELECT DISTINCT substr(started_at, 1, 10) FROM runs WHERE test = 0;
INSERT INTO analytics_marks (day)
    SELECT DISTINCT substr(created_at, 1, 10) FROM messages WHERE test = 0;
INSERT INTO analytics_marks (day)
    SELECT DISTINCT substr(at, 1, 10) FROM events WHERE type = 'chat.started' AND test = 0;
INSERT INTO analytics_marks (day)
    SELECT DISTINCT substr(created_at, 1, 10) FROM deals WHERE test = 0;
