//! Diesel table definitions for the warehouse. Kept by hand in step with `migrations/*/up.sql`
//! (both backends share one logical schema); `tests/schema_parity.rs` checks both databases have
//! exactly these columns.

diesel::table! {
    districts (id) {
        id -> Integer,
        code -> Text,
        parent_id -> Nullable<Integer>,
        level -> Text,
        name_zh -> Text,
        name_en -> Text,
    }
}

diesel::table! {
    units (unit) {
        unit -> Text,
        canonical -> Text,
        factor -> Double,
    }
}

diesel::table! {
    dimensions (id) {
        id -> Integer,
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
    }
}

diesel::table! {
    dimension_members (id) {
        id -> Integer,
        dimension_id -> Integer,
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
    }
}

diesel::table! {
    indicators (id) {
        id -> Integer,
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
        unit -> Text,
        category -> Text,
        direction -> Text,
        definition -> Text,
        definition_zh -> Text,
        min_value -> Nullable<Double>,
        max_value -> Nullable<Double>,
        numerator -> Nullable<Text>,
        denominator -> Nullable<Text>,
        aliases -> Text,
        additive -> Integer,
    }
}

diesel::table! {
    standards (id) {
        id -> Integer,
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
        indicator_id -> Nullable<Integer>,
        comparator -> Nullable<Text>,
        value -> Nullable<Double>,
        value_text -> Nullable<Text>,
        reported_unit -> Nullable<Text>,
        scope -> Text,
        district_id -> Nullable<Integer>,
        effective_from -> Nullable<Integer>,
        effective_to -> Nullable<Integer>,
        doc_title -> Nullable<Text>,
        doc_number -> Nullable<Text>,
        issuer -> Nullable<Text>,
        source_id -> Nullable<Integer>,
        quote -> Text,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    indicator_dimensions (indicator_id, dimension_id) {
        indicator_id -> Integer,
        dimension_id -> Integer,
    }
}

diesel::table! {
    breakdowns (id) {
        id -> Integer,
        code -> Text,
    }
}

diesel::table! {
    breakdown_members (breakdown_id, member_id) {
        breakdown_id -> Integer,
        member_id -> Integer,
    }
}

diesel::table! {
    periods (id) {
        id -> Integer,
        code -> Text,
        kind -> Text,
        start_date -> Text,
        end_date -> Text,
        year -> Integer,
    }
}

diesel::table! {
    sources (id) {
        id -> Integer,
        code -> Text,
        title_zh -> Text,
        title_en -> Text,
        issuer -> Text,
        district_id -> Integer,
        doc_number -> Nullable<Text>,
        published_on -> Nullable<Text>,
        kind -> Text,
        review_year -> Nullable<Integer>,
        note -> Nullable<Text>,
        body -> Text,
        created_at -> Text,
        text_sha256 -> Nullable<Text>,
    }
}

diesel::table! {
    observations (id) {
        id -> Integer,
        key -> Text,
        district_id -> Integer,
        indicator_id -> Integer,
        period_id -> Integer,
        breakdown_id -> Integer,
        kind -> Text,
        base_period_id -> Nullable<Integer>,
        value -> Double,
        value_text -> Text,
        reported_unit -> Text,
        qualifier -> Text,
        source_id -> Integer,
        quote -> Text,
        quote_start -> Integer,
        quote_end -> Integer,
        period_note -> Nullable<Text>,
        note -> Nullable<Text>,
        revision -> Integer,
        created_at -> Text,
        recorded_at -> Text,
        recorded_by -> Text,
        change_reason -> Nullable<Text>,
    }
}

diesel::table! {
    observation_revisions (id) {
        id -> Integer,
        observation_id -> Integer,
        revision -> Integer,
        value -> Double,
        value_text -> Text,
        reported_unit -> Text,
        qualifier -> Text,
        quote -> Text,
        quote_start -> Integer,
        quote_end -> Integer,
        note -> Nullable<Text>,
        recorded_at -> Text,
        recorded_by -> Text,
        change_reason -> Nullable<Text>,
        superseded_at -> Text,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Integer,
        name -> Text,
        role -> Text,
        key_hash -> Text,
        prefix -> Text,
        created_at -> Text,
        revoked_at -> Nullable<Text>,
        expires_at -> Nullable<Text>,
        last_used_at -> Nullable<Text>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Integer,
        at -> Text,
        actor -> Text,
        action -> Text,
        detail -> Text,
        row_count -> Integer,
    }
}

diesel::table! {
    findings (id) {
        id -> Integer,
        code -> Text,
        origin -> Text,
        rule -> Text,
        severity -> Text,
        message -> Text,
        source_id -> Nullable<Integer>,
        message_zh -> Text,
    }
}

diesel::table! {
    note_translations (observation_key) {
        observation_key -> Text,
        note_sha256 -> Text,
        note_zh -> Text,
    }
}

diesel::table! {
    finding_observations (finding_id, observation_id) {
        finding_id -> Integer,
        observation_id -> Integer,
    }
}

diesel::table! {
    /// Webhook registrations (`edustats webhooks`, `src/notify/webhook.rs`).
    webhooks (id) {
        id -> Integer,
        name -> Text,
        url -> Text,
        events -> Text,
        secret -> Text,
        active -> Integer,
        created_at -> Text,
        created_by -> Text,
    }
}

diesel::table! {
    /// The delivery log of the webhooks.
    webhook_deliveries (id) {
        id -> Integer,
        webhook_id -> Integer,
        event -> Text,
        status -> Text,
        attempts -> Integer,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Text,
        updated_at -> Text,
    }
}

diesel::table! {
    /// Events of writes made outside a server, announced to the servers by NOTIFY
    /// (PostgreSQL only; see `notify::relay`).
    notification_outbox (id) {
        id -> Integer,
        events -> Text,
        created_at -> Text,
    }
}

diesel::joinable!(dimension_members -> dimensions (dimension_id));
diesel::joinable!(indicator_dimensions -> indicators (indicator_id));
diesel::joinable!(indicator_dimensions -> dimensions (dimension_id));
diesel::table! {
    drafts (id) {
        id -> Integer,
        code -> Text,
        district -> Text,
        source -> Text,
        status -> Text,
        created_by -> Text,
        created_at -> Text,
        published_at -> Nullable<Text>,
        text_sha256 -> Nullable<Text>,
        doc_number -> Nullable<Text>,
    }
}

diesel::table! {
    draft_items (id) {
        id -> Integer,
        draft_id -> Integer,
        position -> Integer,
        item -> Text,
        decision -> Text,
        edited -> Nullable<Text>,
        new_indicator -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Text>,
    }
}

diesel::joinable!(breakdown_members -> breakdowns (breakdown_id));
diesel::joinable!(breakdown_members -> dimension_members (member_id));
diesel::joinable!(sources -> districts (district_id));
diesel::joinable!(observations -> districts (district_id));
diesel::table! {
    /// The one-row data version every write of figures bumps.
    data_version (id) {
        id -> Integer,
        version -> BigInt,
    }
}

diesel::joinable!(observations -> indicators (indicator_id));
diesel::joinable!(observations -> breakdowns (breakdown_id));
diesel::joinable!(observations -> periods (period_id));
diesel::joinable!(observations -> sources (source_id));
diesel::joinable!(findings -> sources (source_id));
diesel::joinable!(finding_observations -> findings (finding_id));
diesel::joinable!(finding_observations -> observations (observation_id));
diesel::joinable!(observation_revisions -> observations (observation_id));
diesel::joinable!(draft_items -> drafts (draft_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(standards -> indicators (indicator_id));
diesel::joinable!(standards -> sources (source_id));

diesel::allow_tables_to_appear_in_same_query!(
    districts,
    units,
    dimensions,
    dimension_members,
    indicators,
    indicator_dimensions,
    breakdowns,
    breakdown_members,
    periods,
    sources,
    observations,
    findings,
    finding_observations,
    observation_revisions,
    note_translations,
    api_keys,
    audit_log,
    drafts,
    draft_items,
    data_version,
    webhooks,
    webhook_deliveries,
    notification_outbox,
    standards,
);
