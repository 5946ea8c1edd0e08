//! Diesel's view of the tables the adapter reads and writes (see `migrations/`).

pub mod sql_types {
    /// PostgreSQL's case-insensitive text type (extension `citext`).
    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(postgres_type(name = "citext"))]
    pub struct Citext;
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Citext;

    users (id) {
        id -> Uuid,
        email -> Citext,
        username -> Nullable<Citext>,
        password_hash -> Text,
        email_verified -> Bool,
        email_verified_at -> Nullable<Timestamptz>,
        status -> Text,
        locked_until -> Nullable<Timestamptz>,
        failed_login_count -> Int4,
        last_login_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    user_profiles (user_id) {
        user_id -> Uuid,
        name -> Nullable<Text>,
        display_name -> Nullable<Text>,
        company -> Nullable<Text>,
        phone -> Nullable<Text>,
        telegram -> Nullable<Text>,
        avatar_url -> Nullable<Text>,
        locale -> Text,
        time_zone -> Text,
        region -> Nullable<Text>,
        currency -> Nullable<Text>,
        preferences -> Jsonb,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    roles (id) {
        id -> Uuid,
        name -> Text,
        description -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    user_roles (user_id, role_id) {
        user_id -> Uuid,
        role_id -> Uuid,
        granted_at -> Timestamptz,
        granted_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Uuid,
        user_id -> Uuid,
        device_id -> Nullable<Uuid>,
        user_agent -> Nullable<Text>,
        ip_addr -> Nullable<Inet>,
        amr -> Array<Text>,
        mfa_level -> Int2,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        revoked_reason -> Nullable<Text>,
        auth_time -> Timestamptz,
    }
}

diesel::table! {
    outbox (id) {
        id -> Uuid,
        seq -> Int8,
        aggregate_type -> Text,
        aggregate_id -> Uuid,
        subject -> Nullable<Uuid>,
        #[sql_name = "type"]
        event_type -> Text,
        payload -> Jsonb,
        occurred_at -> Timestamptz,
        created_at -> Timestamptz,
        published_at -> Nullable<Timestamptz>,
        attempts -> Int4,
        last_error -> Nullable<Text>,
        parked_at -> Nullable<Timestamptz>,
        next_attempt_at -> Nullable<Timestamptz>,
        traceparent -> Nullable<Text>,
        tracestate -> Nullable<Text>,
    }
}

diesel::joinable!(user_profiles -> users (user_id));
diesel::joinable!(user_roles -> roles (role_id));
diesel::joinable!(sessions -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(users, user_profiles, roles, user_roles, sessions, outbox);

diesel::table! {
    devices (id) {
        id -> Uuid,
        user_id -> Uuid,
        name -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        session_id -> Uuid,
        token_hash -> Bytea,
        issued_at -> Timestamptz,
        expires_at -> Timestamptz,
        consumed_at -> Nullable<Timestamptz>,
        replaced_by -> Nullable<Uuid>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

// A rotation reads the token with its session and the session's user in one statement.
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::allow_tables_to_appear_in_same_query!(refresh_tokens, sessions);
diesel::allow_tables_to_appear_in_same_query!(refresh_tokens, users);
diesel::allow_tables_to_appear_in_same_query!(refresh_tokens, user_profiles);

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Citext;

    login_attempts (id) {
        id -> Int8,
        user_id -> Nullable<Uuid>,
        email -> Nullable<Citext>,
        ip_addr -> Nullable<Inet>,
        user_agent -> Nullable<Text>,
        success -> Bool,
        reason -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Citext;

    password_resets (id) {
        id -> Uuid,
        user_id -> Uuid,
        email -> Citext,
        token_hash -> Bytea,
        requested_ip -> Nullable<Inet>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        consumed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Citext;

    email_verifications (id) {
        id -> Uuid,
        user_id -> Uuid,
        email -> Citext,
        token_hash -> Bytea,
        attempts -> Int4,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        consumed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    audit_logs (id) {
        id -> Int8,
        user_id -> Nullable<Uuid>,
        actor_id -> Nullable<Uuid>,
        action -> Text,
        ip_addr -> Nullable<Inet>,
        user_agent -> Nullable<Text>,
        metadata -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    groups (id) {
        id -> Uuid,
        name -> Text,
        /// `GroupName::key`: what names are unique by (`groups_name_key`) and sorted by.
        name_key -> Text,
        description -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    group_memberships (group_id, user_id) {
        group_id -> Uuid,
        user_id -> Uuid,
        added_at -> Timestamptz,
    }
}

diesel::table! {
    app_permissions (id) {
        id -> Uuid,
        app_key -> Text,
        user_id -> Nullable<Uuid>,
        group_id -> Nullable<Uuid>,
        granted_at -> Timestamptz,
        granted_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    settings (namespace) {
        namespace -> Text,
        value -> Jsonb,
        secrets -> Jsonb,
        updated_at -> Timestamptz,
        updated_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    request_keys (key) {
        key -> Text,
        fingerprint -> Text,
        resource_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(group_memberships -> groups (group_id));
diesel::joinable!(group_memberships -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(groups, group_memberships, app_permissions);
diesel::allow_tables_to_appear_in_same_query!(group_memberships, users);
diesel::allow_tables_to_appear_in_same_query!(group_memberships, user_profiles);

diesel::table! {
    agents (id) {
        id -> Uuid,
        name -> Text,
        description -> Text,
        category -> Text,
        tags -> Array<Text>,
        enabled -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    instances (id) {
        id -> Uuid,
        /// Not a foreign key: these tables may move to a database shared with other services.
        user_id -> Uuid,
        agent_id -> Uuid,
        name -> Text,
        config -> Jsonb,
        /// `InstanceState::as_str` (`instances_state_check`).
        state -> Text,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(instances -> agents (agent_id));
diesel::allow_tables_to_appear_in_same_query!(agents, instances);

diesel::table! {
    /// The durable job queue (`identity_core::jobs`), in the main and the shared database.
    jobs (id) {
        id -> Uuid,
        /// `JobKind::as_str`.
        kind -> Text,
        payload -> Jsonb,
        sealed -> Nullable<Text>,
        /// Unique where set (`jobs_unique_key_idx`).
        unique_key -> Nullable<Text>,
        priority -> Int2,
        /// `JobState::as_str` (`jobs_state_check`).
        state -> Text,
        attempts -> Int4,
        max_attempts -> Int4,
        run_at -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
        locked_until -> Nullable<Timestamptz>,
        locked_by -> Nullable<Text>,
        last_error -> Nullable<Text>,
        result -> Nullable<Jsonb>,
    }
}

diesel::table! {
    /// Service clients (`identity_core::clients`).
    service_clients (id) {
        id -> Uuid,
        name -> Text,
        scopes -> Array<Text>,
        /// `[{"id", "digest" (hex), "created_at", "expires_at"}]`, newest first.
        secrets -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// Second factors (`identity_core::mfa`), as the initial schema made them.
    mfa_methods (id) {
        id -> Uuid,
        user_id -> Uuid,
        /// `MfaKind::as_str`: `totp` or `webauthn`; one TOTP per user (a unique index).
        #[sql_name = "type"]
        kind -> Text,
        label -> Nullable<Text>,
        /// The sealed TOTP secret (the secret box's text, as bytes).
        secret -> Nullable<Bytea>,
        confirmed_at -> Nullable<Timestamptz>,
        added_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        last_used_step -> Nullable<Int8>,
        /// A passkey: `{"id": credential id, "credential": the adapter's serialised passkey}`
        /// (the id unique among passkeys: an index).
        webauthn_credential -> Nullable<Jsonb>,
    }
}

diesel::table! {
    /// Recovery codes: keyed digests (hex), each used once.
    recovery_codes (id) {
        id -> Uuid,
        user_id -> Uuid,
        code_hash -> Text,
        created_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}
