use serde_json::Value;

use std::sync::Arc;

use crate::domain::profile::{self, merge_patch, validate_preferences};
use crate::domain::{
    EventType, FieldError, Profile, RevocationReason, User, UserDeletedData, UserStatus, UserUpdatedData,
    ValidationErrors,
};
use crate::kernel::context::{Context, Revoker};
use crate::kernel::throttle::Throttle;
use crate::ports::{SessionSelector, UnitOfWork};
use crate::usecases::{Authenticated, CoreError};

/// Fields a client may never set through the profile, however it asks.
const READ_ONLY: &[&str] = &[
    "id",
    "email",
    "username",
    "email_verified",
    "status",
    "roles",
    "role",
    "created_at",
    "updated_at",
    "last_login_at",
    "deleted_at",
    "password",
    "password_hash",
    "profile",
];

/// Reads an optional text value of a merge patch: `null` clears, a string is checked.
fn optional(
    field: &str,
    value: &Value,
    check: impl Fn(&str) -> Result<String, FieldError>,
) -> Result<Option<String>, FieldError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => check(s).map(Some),
        _ => Err(FieldError::new(field, "invalid_type", "must be a string or null")),
    }
}

/// Reads a required value of a merge patch: `null` restores the default.
fn with_default<T>(
    field: &str,
    value: &Value,
    default: T,
    check: impl Fn(&str) -> Result<T, FieldError>,
) -> Result<T, FieldError> {
    match value {
        Value::Null => Ok(default),
        Value::String(s) => check(s),
        _ => Err(FieldError::new(field, "invalid_type", "must be a string or null")),
    }
}

/// The caller's own account: the profile, and deleting the account.
#[derive(Clone)]
pub struct ProfileService {
    pub(crate) ctx: Context,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    pub(crate) throttle: Throttle,
    pub(crate) revoker: Revoker,
    /// A deleted account's instances end with it.
    pub(crate) instances: crate::usecases::InstanceService,
}

impl ProfileService {
    /// `PATCH /v1/users/me` (JSON merge patch, RFC 7386): only the profile fields change;
    /// anything else is refused naming the field. A change bumps `updated_at` and emits
    /// `user.updated` with the changed fields.
    pub async fn update_profile(&self, auth: &Authenticated, patch: &Value) -> Result<User, CoreError> {
        let Some(patch) = patch.as_object() else {
            return Err(ValidationErrors::single(FieldError::new("body", "invalid_type", "send a JSON object")).into());
        };
        let mut tx = self.uow.begin().await?;
        let mut user = tx.users().lock_user(auth.user.id).await?.ok_or(CoreError::Unauthenticated)?;
        let before = user.profile.clone();
        let mut next = before.clone();
        let mut errors = ValidationErrors::new();
        for (key, value) in patch {
            let field = key.as_str();
            let result: Result<(), FieldError> = match field {
                "name" => optional(field, value, |s| profile::text(field, s, 100)).map(|v| next.name = v),
                "display_name" => {
                    optional(field, value, |s| profile::text(field, s, 100)).map(|v| next.display_name = v)
                }
                "company" => optional(field, value, |s| profile::text(field, s, 200)).map(|v| next.company = v),
                "phone" => optional(field, value, profile::phone).map(|v| next.phone = v),
                "telegram" => optional(field, value, profile::telegram).map(|v| next.telegram = v),
                "avatar_url" => optional(field, value, profile::avatar_url).map(|v| next.avatar_url = v),
                "locale" => {
                    with_default(field, value, Profile::default().locale, profile::locale).map(|v| next.locale = v)
                }
                "time_zone" => with_default(field, value, Profile::default().time_zone, profile::time_zone)
                    .map(|v| next.time_zone = v),
                "region" => with_default(field, value, Default::default(), profile::region).map(|v| next.region = v),
                "currency" => {
                    with_default(field, value, Default::default(), profile::currency).map(|v| next.currency = v)
                }
                "preferences" => match value {
                    Value::Null => {
                        next.preferences = Profile::default().preferences;
                        Ok(())
                    }
                    Value::Object(_) => {
                        merge_patch(&mut next.preferences, value);
                        let problems = validate_preferences(&next.preferences);
                        problems.into_iter().for_each(|p| errors.push(p));
                        Ok(())
                    }
                    _ => Err(FieldError::new(field, "invalid_type", "must be an object (a merge patch) or null")),
                },
                other if READ_ONLY.contains(&other) => {
                    Err(FieldError::new(other, "read_only", "this field cannot be changed through the profile"))
                }
                other => Err(FieldError::new(other, "unknown_field", "not a profile field")),
            };
            errors.collect(result);
        }
        errors.into_result()?;

        let changed: Vec<String> = patch
            .keys()
            .filter(|key| match key.as_str() {
                "name" => before.name != next.name,
                "display_name" => before.display_name != next.display_name,
                "company" => before.company != next.company,
                "phone" => before.phone != next.phone,
                "telegram" => before.telegram != next.telegram,
                "avatar_url" => before.avatar_url != next.avatar_url,
                "locale" => before.locale != next.locale,
                "time_zone" => before.time_zone != next.time_zone,
                "region" => before.region != next.region,
                "currency" => before.currency != next.currency,
                _ => before.preferences != next.preferences,
            })
            .cloned()
            .collect();
        if changed.is_empty() {
            return Ok(user);
        }
        let now = self.ctx.now();
        user.profile = next;
        user.updated_at = now;
        tx.users().update_user(&user).await?;
        let event = self.ctx.event(
            EventType::UserUpdated,
            user.id.as_uuid(),
            &user,
            &UserUpdatedData { user_id: user.id.as_uuid(), changed, updated_at: now },
        );
        tx.journal().record_events(&[event]).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// `DELETE /v1/users/me`: a soft delete, confirmed with the current password. The account
    /// stops working at once (every session ends), its address stays reserved and its data is
    /// kept (an admin can restore it).
    pub async fn delete_account(&self, auth: &Authenticated, password: &str) -> Result<(), CoreError> {
        crate::authz::authorize(auth, self.ctx.recent_authentication())?;
        if password.is_empty() {
            return Err(ValidationErrors::single(FieldError::new(
                "password",
                "required",
                "confirm with your password",
            ))
            .into());
        }
        self.throttle.reauthenticate_with_password(auth, "password", password, "account.delete").await?;
        let now = self.ctx.now();
        let mut tx = self.uow.begin().await?;
        let mut user = tx.users().lock_user(auth.user.id).await?.ok_or(CoreError::Unauthenticated)?;
        // The last active admin cannot leave the service without an admin.
        if user.counts_as_active_admin() && tx.users().count_active_admins().await? <= 1 {
            return Err(CoreError::LastAdmin);
        }
        user.set_status(UserStatus::Deleted, now);
        user.updated_at = now;
        tx.users().update_user(&user).await?;
        let revoked =
            tx.sessions().revoke_sessions(user.id, SessionSelector::All, now, RevocationReason::AccountDeleted).await?;
        let mut events = self.ctx.revoked_events(&user, &revoked, RevocationReason::AccountDeleted);
        events.push(self.ctx.event(
            EventType::UserDeleted,
            user.id.as_uuid(),
            &user,
            &UserDeletedData { user_id: user.id.as_uuid(), deleted_at: now },
        ));
        let metadata = serde_json::json!({ "sessions_revoked": revoked.len() });
        self.revoker
            .finish(
                tx,
                &events,
                self.ctx.audit_entry("user.deleted", Some(user.id), Some(user.id), &auth.client, metadata),
                &revoked,
            )
            .await?;
        self.instances.end_all_of(user.id).await?;
        Ok(())
    }
}
