//! Contract suites: the behaviour every adapter of a port must show. The memory and the real
//! adapters run the same suites through [`store_contract_tests!`](crate::store_contract_tests),
//! so a fake cannot drift from the real thing.

pub mod codes;
pub mod fixtures;
pub mod store;
pub mod time;

/// Generates one `#[tokio::test]` per store contract case, in one module per port
/// (`contract::users::…`, `contract::outbox::…`). `$factory` is an expression evaluating to a
/// future of a fresh, empty [`store::StoreUnderTest`]; it is evaluated inside those modules,
/// which import everything of the invoking module.
#[macro_export]
macro_rules! store_contract_tests {
    ($factory:expr) => {
        $crate::store_contract_tests!(@ports $factory;
            users {
                inserted_user_is_found_by_id_email_and_username,
                email_lookup_ignores_letter_case,
                duplicate_email_is_a_conflict_and_writes_nothing,
                duplicate_username_is_a_conflict,
                update_user_persists_account_fields_and_profile,
                unknown_ids_are_none,
                users_are_listed_by_id_with_filters,
                active_admins_are_counted,
                only_active_admins_count_as_active_admins,
                deleted_users_are_listed_only_when_asked_for,
                user_search_matches_a_prefix_of_the_address_or_the_name,
            },
            transactions {
                dropped_transaction_leaves_nothing,
            },
            sessions {
                inserted_session_is_found,
                session_is_read_with_its_user,
                live_sessions_are_listed_newest_first_and_paged,
                revoking_picks_sessions_and_revokes_their_refresh_tokens,
                devices_are_stored_listed_renamed_and_deleted,
                refresh_tokens_are_found_by_digest_with_their_session_and_user,
                a_rotation_writes_the_successor_the_consumed_token_and_the_session,
                sessions_are_read_and_touched_in_a_transaction,
            },
            one_time_tokens {
                one_time_tokens_are_found_by_purpose_and_consumed,
                one_time_token_without_an_address_is_refused,
            },
            access {
                groups_are_created_renamed_listed_and_deleted,
                memberships_and_grants_reach_their_users,
                group_search_matches_a_prefix_of_the_name,
                group_names_are_unique_and_sorted_by_their_folded_key,
            },
            settings {
                settings_are_stored_locked_and_replaced,
            },
            service_clients {
                service_clients_are_inserted_found_and_updated,
                service_clients_are_listed_newest_first,
            },
            mfa {
                methods_are_inserted_locked_updated_and_deleted,
                recovery_codes_are_replaced_and_used_once,
                passkeys_keep_their_credential_and_belong_to_one_account,
            },
            agents {
                agents_are_inserted_found_and_updated,
                agents_are_listed_by_id_with_filters,
                agent_search_matches_a_prefix_of_the_name,
                instances_are_inserted_found_and_updated,
                instances_are_listed_newest_first_with_filters,
                lock_instances_of_takes_the_live_instances_of_one_user,
                dropped_agents_transaction_leaves_nothing,
                committed_agents_events_are_pending_in_the_outbox,
                a_locked_instance_waits_for_the_commit_of_its_holder,
                consumed_messages_are_recorded_once,
            },
            audit {
                audit_entries_are_appended_and_filtered,
            },
            requests {
                requests_are_recorded_with_their_transaction_and_replaced,
                requests_older_than_a_day_are_forgotten_by_later_ones,
            },
            outbox {
                committed_events_are_pending_in_order,
                relay_marks_published_only_after_the_publisher_confirmed,
                every_event_type_is_recorded_and_relayed_in_order,
                publish_failure_keeps_events_pending_with_attempts_recorded,
                refused_event_waits_for_its_retry_time_without_blocking_others,
                backlog_counts_waiting_rows_and_the_oldest,
                a_commit_that_recorded_events_wakes_the_relay_once,
            },
            jobs {
                enqueued_jobs_are_found_and_written_with_their_transaction,
                a_unique_key_is_enqueued_once,
                claims_take_due_jobs_of_the_kinds_by_priority_then_time,
                concurrent_claims_never_hand_out_a_job_twice,
                an_expired_lease_passes_the_job_on_or_ends_it_dead,
                transitions_apply_the_rules_of_core,
                jobs_are_listed_newest_first_with_filters,
                depth_counts_jobs_by_kind_and_state,
                retention_purges_finished_jobs_only,
                retention_purges_what_expired_and_keeps_what_lives,
            },
        );
    };
    (@ports $factory:expr; $($port:ident { $($case:ident),* $(,)? }),* $(,)?) => {
        $(
            mod $port {
                #[allow(unused_imports)]
                use super::*;

                $(
                    #[tokio::test]
                    async fn $case() {
                        let store = $factory.await;
                        $crate::testkit::store::$port::$case(&store).await;
                    }
                )*
            }
        )*
    };
}

/// Generates one `#[tokio::test]` per code-store and revocation-list contract case.
/// `$codes` evaluates to a future of a fresh `(Arc<dyn CodeStore>, Arc<dyn TimeTravel>)`,
/// `$revocations` to one of an `(Arc<dyn RevocationList>, Arc<dyn TimeTravel>)`: the second
/// half lets time pass for that adapter (see [`TimeTravel`](crate::testkit::time::TimeTravel)).
#[macro_export]
macro_rules! code_store_contract_tests {
    ($codes:expr, $revocations:expr) => {
        $crate::code_store_contract_tests!(@cases $codes;
            put_get_delete_and_overwrite,
            put_if_absent_starts_a_cooldown_once,
            take_hands_a_value_to_exactly_one_caller,
            counters_count_from_one,
        );
        #[tokio::test]
        async fn values_expire_after_their_ttl() {
            let (store, time) = $codes.await;
            $crate::testkit::codes::values_expire_after_their_ttl(store, time.as_ref()).await;
        }
        #[tokio::test]
        async fn revocations_are_remembered_for_their_ttl() {
            let (list, time) = $revocations.await;
            $crate::testkit::codes::revocations_are_remembered_for_their_ttl(list.as_ref(), time.as_ref()).await;
        }
    };
    (@cases $codes:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let (store, _time) = $codes.await;
                $crate::testkit::codes::$case(store).await;
            }
        )*
    };
}

/// Generates one `#[tokio::test]` per rate-limiter contract case. `$limiter` evaluates to a
/// future of a fresh `(Arc<dyn RateLimiter>, Arc<dyn TimeTravel>)`.
#[macro_export]
macro_rules! rate_limiter_contract_tests {
    ($limiter:expr) => {
        #[tokio::test]
        async fn rate_limits_allow_a_burst_then_refuse_with_retry_after() {
            let (limiter, _time) = $limiter.await;
            $crate::testkit::codes::rate_limits_allow_a_burst_then_refuse_with_retry_after(limiter.as_ref()).await;
        }
        #[tokio::test]
        async fn rate_limits_refill_over_time() {
            let (limiter, time) = $limiter.await;
            $crate::testkit::codes::rate_limits_refill_over_time(limiter.as_ref(), time.as_ref()).await;
        }
        #[tokio::test]
        async fn concurrent_hits_never_exceed_the_limit() {
            let (limiter, _time) = $limiter.await;
            $crate::testkit::codes::concurrent_hits_never_exceed_the_limit(limiter).await;
        }
    };
}
