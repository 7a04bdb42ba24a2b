-- User reports, their per-minute counts, spike episodes and people's decisions on links.
-- Additive only: no existing table changes.

-- Every report as filed. The reporter is a salted SHA-256 (never the address or user agent).
-- `counted` is 0 for a duplicate: the same reporter and service in the same 15-minute window.
CREATE TABLE reports (
    id TEXT PRIMARY KEY NOT NULL,
    service_slug TEXT NOT NULL REFERENCES services(slug),
    reported_at TIMESTAMP NOT NULL,
    received_at TIMESTAMP NOT NULL,
    symptom TEXT,
    comment TEXT,
    country TEXT,
    reporter_hash TEXT NOT NULL,
    counted INTEGER NOT NULL,
    via TEXT NOT NULL,
    incident_id TEXT REFERENCES incidents(id) ON DELETE SET NULL
);
CREATE INDEX reports_service_time ON reports (service_slug, reported_at);
-- Partial: reports arrive unattached, and skipping NULLs keeps intake cheaper.
CREATE INDEX reports_incident ON reports (incident_id) WHERE incident_id IS NOT NULL;

-- One row per (reporter, service, 15-minute window) that counted: the primary key is the rule.
-- The window comes first in the key: live inserts then all land at the right edge of the
-- index (the current quarter hour) instead of at random places, which keeps intake fast as
-- the table grows. A batch looks its reporters up per (window, service) with one IN list.
CREATE TABLE report_dedup (
    window_start TIMESTAMP NOT NULL,
    service_slug TEXT NOT NULL,
    reporter_hash TEXT NOT NULL,
    PRIMARY KEY (window_start, service_slug, reporter_hash)
);

-- Counted reports per service per minute (event time), for baselines and charts.
CREATE TABLE report_buckets (
    service_slug TEXT NOT NULL,
    minute TIMESTAMP NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (service_slug, minute)
);
CREATE INDEX report_buckets_minute ON report_buckets (minute);

-- Where spike evaluation of a service stands: minutes before `evaluated_until` are done;
-- `open_state` is the episode in progress (JSON), if any.
CREATE TABLE spike_state (
    service_slug TEXT PRIMARY KEY NOT NULL,
    evaluated_until TIMESTAMP NOT NULL,
    open_state TEXT
);

-- Spike episodes found by the evaluator, keyed by service and onset minute (idempotent).
CREATE TABLE report_spikes (
    id TEXT PRIMARY KEY NOT NULL,
    service_slug TEXT NOT NULL,
    onset TIMESTAMP NOT NULL,
    onset_count BIGINT NOT NULL,
    baseline DOUBLE PRECISION NOT NULL,
    peak_at TIMESTAMP NOT NULL,
    peak_count BIGINT NOT NULL,
    returned_at TIMESTAMP,
    ended_at TIMESTAMP,
    incident_id TEXT REFERENCES incidents(id) ON DELETE SET NULL,
    UNIQUE (service_slug, onset)
);
CREATE INDEX report_spikes_incident ON report_spikes (incident_id);

-- A person's decision on the link between two incidents (either direction): confirmed or
-- removed. Automatic recomputation never overrides a decision.
CREATE TABLE link_decisions (
    incident_a TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    incident_b TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    decision TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TIMESTAMP NOT NULL,
    PRIMARY KEY (incident_a, incident_b)
);
