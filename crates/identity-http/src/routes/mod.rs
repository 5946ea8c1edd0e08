//! Handlers: authenticate, validate, call one use case, map the answer.

pub mod admin;
pub mod agents;
pub mod audit;
pub mod auth;
pub mod forward;
pub mod groups;
pub mod health;
pub mod instances;
pub mod jobs;
pub mod mfa;
pub mod oauth;
pub mod passkeys;
pub mod passwords;
pub mod preferences;
pub mod realtime;
pub mod second_factor;
pub mod service;
pub mod service_clients;
pub mod sessions;
pub mod settings;
pub mod users;
pub mod views;

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

/// A name in a document's schema names: `ai` → `Ai`, `base_url` → `BaseUrl`.
pub(crate) fn pascal(name: &str) -> String {
    name.split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

/// 200 with a JSON body that belongs to the caller: never stored by a cache.
pub fn private_json(body: impl Serialize) -> HttpResponse {
    HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(body)
}

/// 201 with the new resource's `Location` and its JSON (never cached).
pub fn created(location: String, body: impl Serialize) -> HttpResponse {
    HttpResponse::Created()
        .insert_header(("Location", location))
        .insert_header(("Cache-Control", "no-store"))
        .json(body)
}

/// Registers every documented route; the server and `openapi()` both use it, so the document
/// can never miss a route.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::health).service(health::ready).service(health::paserk);
    cfg.service(
        utoipa_actix_web::scope("/v1/auth")
            .service(auth::register)
            .service(auth::register_request)
            .service(auth::register_confirm)
            .service(auth::verify_email)
            .service(auth::resend_verification)
            .service(auth::login)
            .service(second_factor::login_mfa)
            .service(second_factor::reauthenticate)
            .service(passkeys::start_passkey_reauthentication)
            .service(passkeys::start_passkey_sign_in)
            .service(passkeys::finish_passkey_sign_in)
            .service(oauth::token)
            .service(auth::refresh)
            .service(auth::logout)
            .service(auth::logout_all)
            .service(auth::me)
            .service(forward::verify)
            .service(forward::verify_post)
            .service(forward::verify_put)
            .service(forward::verify_patch)
            .service(forward::verify_delete)
            .service(passwords::forgot)
            .service(passwords::reset)
            .service(passwords::reset_request)
            .service(passwords::change),
    );
    cfg.service(
        utoipa_actix_web::scope("/v1")
            .service(realtime::open_socket)
            .service(realtime::create_socket_ticket)
            .service(realtime::get_presence)
            .service(sessions::list_sessions)
            .service(sessions::delete_session)
            .service(sessions::list_devices)
            .service(sessions::rename_device)
            .service(sessions::delete_device)
            .service(mfa::enroll_totp)
            .service(mfa::confirm_totp)
            .service(mfa::list_mfa_methods)
            .service(mfa::rename_mfa_method)
            .service(mfa::delete_mfa_method)
            .service(mfa::regenerate_recovery_codes)
            .service(passkeys::start_passkey_registration)
            .service(passkeys::finish_passkey_registration)
            .service(users::get_me)
            .service(users::patch_me)
            .service(users::delete_me)
            .service(users::request_email_change)
            .service(users::confirm_email_change)
            .service(audit::own)
            .service(audit::search)
            .service(admin::list_users)
            .service(admin::create_user)
            .service(admin::get_user)
            .service(admin::patch_user)
            .service(admin::lock_user)
            .service(admin::unlock_user)
            .service(admin::delete_user)
            .service(admin::restore_user)
            .service(admin::revoke_sessions)
            .service(admin::delete_user_mfa)
            .service(admin::request_password_reset)
            .service(groups::my_apps)
            .service(groups::list_groups)
            .service(groups::create_group)
            .service(groups::get_group)
            .service(groups::patch_group)
            .service(groups::delete_group)
            .service(groups::list_members)
            .service(groups::add_member)
            .service(groups::remove_member)
            .service(groups::group_apps)
            .service(groups::grant_group_app)
            .service(groups::revoke_group_app)
            .service(groups::user_groups)
            .service(groups::user_apps)
            .service(groups::grant_user_app)
            .service(groups::revoke_user_app)
            .service(settings::list_namespaces)
            .service(settings::get_settings)
            .service(settings::patch_settings)
            .service(settings::test_settings)
            .service(agents::list_agents)
            .service(agents::get_agent)
            .service(agents::admin_list_agents)
            .service(agents::admin_create_agent)
            .service(agents::admin_get_agent)
            .service(agents::admin_update_agent)
            .service(agents::admin_delete_agent)
            .service(instances::create_instance)
            .service(instances::list_instances)
            .service(instances::get_instance)
            .service(instances::update_instance)
            .service(instances::delete_instance)
            .service(instances::admin_list_user_instances)
            .service(instances::admin_get_instance)
            .service(jobs::admin_list_jobs)
            .service(jobs::admin_get_job)
            .service(jobs::admin_retry_job)
            .service(jobs::admin_cancel_job)
            .service(service_clients::create_service_client)
            .service(service_clients::list_service_clients)
            .service(service_clients::get_service_client)
            .service(service_clients::update_service_client)
            .service(service_clients::rotate_service_client_secret)
            .service(service_clients::revoke_service_client)
            .service(service::introspect)
            .service(service::get_user)
            .service(service::get_settings),
    );
}
