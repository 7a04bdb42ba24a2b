//! The tables, written by hand with the types both backends share: ids and enums are `Text`,
//! times are `Timestamp` holding UTC. Postgres-only columns (such as `outbox.txid`) are left out
//! and read with raw SQL where needed.

diesel::table! {
    services (slug) {
        slug -> Text,
        name -> Text,
        provider -> Nullable<Text>,
        region -> Nullable<Text>,
        kind -> Text,
        depends_on -> Text,
        status_page_url -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sources (id) {
        id -> Text,
        kind -> Text,
        name -> Text,
        url -> Nullable<Text>,
        service_slug -> Nullable<Text>,
        poll_interval_secs -> Nullable<Integer>,
        etag -> Nullable<Text>,
        last_modified -> Nullable<Text>,
        secret -> Nullable<Text>,
        last_success_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        last_error_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        format -> Nullable<Text>,
        failures -> Integer,
        next_poll_at -> Nullable<Timestamp>,
        removed_at -> Nullable<Timestamp>,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    incidents (id) {
        id -> Text,
        title -> Text,
        status -> Text,
        impact -> Text,
        origin -> Text,
        started_at -> Timestamp,
        detected_at -> Nullable<Timestamp>,
        acknowledged_at -> Nullable<Timestamp>,
        mitigated_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        status_as_of -> Timestamp,
        source_id -> Nullable<Text>,
        external_id -> Nullable<Text>,
        url -> Nullable<Text>,
        report_count -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
        kind -> Text,
        scheduled_for -> Nullable<Timestamp>,
        scheduled_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    incident_services (incident_id, service_slug, component) {
        incident_id -> Text,
        service_slug -> Text,
        component -> Text,
        impact -> Nullable<Text>,
    }
}

diesel::table! {
    timeline_entries (id) {
        id -> Text,
        incident_id -> Text,
        occurred_at -> Timestamp,
        recorded_at -> Timestamp,
        kind -> Text,
        source -> Text,
        source_id -> Nullable<Text>,
        external_id -> Nullable<Text>,
        status -> Nullable<Text>,
        impact -> Nullable<Text>,
        body -> Text,
        author -> Nullable<Text>,
        url -> Nullable<Text>,
        original_time -> Nullable<Text>,
        raw_ref -> Nullable<Text>,
        edited_at -> Nullable<Timestamp>,
        changes -> Nullable<Text>,
    }
}

diesel::table! {
    incident_links (id) {
        id -> Text,
        from_incident -> Text,
        to_incident -> Text,
        kind -> Text,
        confidence -> Double,
        reason -> Text,
        set_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox (seq) {
        seq -> BigInt,
        entity -> Text,
        entity_id -> Text,
        operation -> Text,
        created_at -> Timestamp,
        event -> Text,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        name -> Text,
        token_hash -> Text,
        scope -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    app_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    observations (id) {
        id -> Text,
        source_id -> Text,
        incident_id -> Nullable<Text>,
        format -> Text,
        origin -> Text,
        fetched_at -> Timestamp,
        content_hash -> Text,
        raw -> Text,
    }
}

diesel::table! {
    entry_versions (id) {
        id -> Text,
        entry_id -> Text,
        body -> Text,
        replaced_at -> Timestamp,
    }
}

diesel::table! {
    service_components (service_slug, external_id) {
        service_slug -> Text,
        external_id -> Text,
        name -> Text,
        status -> Text,
        updated_at -> Timestamp,
        created_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    postmortems (id) {
        id -> Text,
        incident_id -> Text,
        revision -> Integer,
        markdown -> Text,
        author -> Text,
        status -> Text,
        generated -> Integer,
        created_at -> Timestamp,
    }
}

// User reports: reports, their dedup keys and per-minute counts, spike episodes,
// evaluation state and people's decisions on links.
diesel::table! {
    reports (id) {
        id -> Text,
        service_slug -> Text,
        reported_at -> Timestamp,
        received_at -> Timestamp,
        symptom -> Nullable<Text>,
        comment -> Nullable<Text>,
        country -> Nullable<Text>,
        reporter_hash -> Text,
        counted -> Integer,
        via -> Text,
        incident_id -> Nullable<Text>,
    }
}

diesel::table! {
    report_dedup (window_start, service_slug, reporter_hash) {
        window_start -> Timestamp,
        service_slug -> Text,
        reporter_hash -> Text,
    }
}

diesel::table! {
    report_buckets (service_slug, minute) {
        service_slug -> Text,
        minute -> Timestamp,
        count -> BigInt,
    }
}

diesel::table! {
    spike_state (service_slug) {
        service_slug -> Text,
        evaluated_until -> Timestamp,
        open_state -> Nullable<Text>,
    }
}

diesel::table! {
    report_spikes (id) {
        id -> Text,
        service_slug -> Text,
        onset -> Timestamp,
        onset_count -> BigInt,
        baseline -> Double,
        peak_at -> Timestamp,
        peak_count -> BigInt,
        returned_at -> Nullable<Timestamp>,
        ended_at -> Nullable<Timestamp>,
        incident_id -> Nullable<Text>,
    }
}

diesel::table! {
    link_decisions (incident_a, incident_b) {
        incident_a -> Text,
        incident_b -> Text,
        decision -> Text,
        decided_by -> Text,
        decided_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        subject -> Text,
    }
}

diesel::joinable!(incident_services -> incidents (incident_id));
diesel::joinable!(incident_services -> services (service_slug));
diesel::joinable!(timeline_entries -> incidents (incident_id));
diesel::joinable!(sources -> services (service_slug));

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        token_id -> Text,
        csrf -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> api_tokens (token_id));

diesel::table! {
    index_replicas (id) {
        id -> Text,
        kind -> Text,
        host -> Text,
        position_txid -> BigInt,
        position_seq -> BigInt,
        heartbeat_at -> Timestamp,
        registered_at -> Timestamp,
    }
}

diesel::table! {
    outbox_pruned (id) {
        id -> Integer,
        through_txid -> BigInt,
        through_seq -> BigInt,
        pruned_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    data_rewrites (name) {
        name -> Text,
        done_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    subscriptions (id) {
        id -> Text,
        owner_token_id -> Text,
        owner_name -> Text,
        kind -> Text,
        target -> Text,
        format -> Text,
        filter -> Text,
        events -> Text,
        secret -> Nullable<Text>,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamp>,
        link_key -> Text,
        confirmed_at -> Nullable<Timestamp>,
        failing_since -> Nullable<Timestamp>,
        paused_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    deliveries (seq) {
        seq -> BigInt,
        id -> Text,
        subscription_id -> Text,
        event -> Text,
        incident_key -> Text,
        body -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    delivery_attempts (id) {
        id -> BigInt,
        delivery_id -> Text,
        attempted_at -> Timestamp,
        status_code -> Nullable<Integer>,
        latency_ms -> BigInt,
        error -> Nullable<Text>,
    }
}

diesel::joinable!(deliveries -> subscriptions (subscription_id));

diesel::allow_tables_to_appear_in_same_query!(
    services,
    sources,
    incidents,
    incident_services,
    timeline_entries,
    incident_links,
    outbox,
    api_tokens,
    app_secrets,
    observations,
    entry_versions,
    service_components,
    postmortems,
    reports,
    report_dedup,
    report_buckets,
    spike_state,
    report_spikes,
    link_decisions,
    sessions,
    audit_log,
    index_replicas,
    outbox_pruned,
    subscriptions,
    deliveries,
    delivery_attempts,
    data_rewrites,
);
