DROP TABLE link_decisions;
DROP TABLE report_spikes;
DROP TABLE spike_state;
DROP TABLE report_buckets;
DROP TABLE report_dedup;
DROP TABLE reports;
