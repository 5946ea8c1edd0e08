//! Admins managing accounts: listing, creating and changing users.

use std::sync::Arc;

use crate::accounts::common::Accounts;
use crate::authz::{Need, authorize};
use crate::domain::{Email, Role, UserId, ValidationErrors};
use crate::kernel::context::{Context, Mailer, Revoker};
use crate::ports::{ClientInfo, PasswordHasher, UnitOfWork};
use crate::usecases::{Authenticated, CoreError};

/// Accounts as admins see and change them.
#[derive(Clone)]
pub struct AdminUserService {
    pub(crate) ctx: Context,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    pub(crate) hasher: Arc<dyn PasswordHasher>,
    pub(crate) accounts: Accounts,
    pub(crate) revoker: Revoker,
    pub(crate) mailer: Mailer,
    /// A deleted account's instances end with it.
    pub(crate) instances: crate::usecases::InstanceService,
}

impl AdminUserService {
    /// Gives `admin` to the account with `email`, the way `grant` says (see [`AdminGrant`]);
    /// audited as `role.granted` with a `user.updated` event when the role is new.
    pub async fn grant_admin(&self, email: &str, grant: AdminGrant) -> Result<AdminGranted, CoreError> {
        let email = Email::parse(email).map_err(ValidationErrors::single)?;
        let Some(found) = self.accounts.users.find_by_email(&email).await? else { return Ok(AdminGranted::NoAccount) };
        let mut tx = self.uow.begin().await?;
        let mut user = tx.users().lock_user(found.id).await?.ok_or(CoreError::NotFound)?;
        if user.roles.contains(&Role::new(Role::ADMIN)) {
            return Ok(AdminGranted::AlreadyAdmin);
        }
        let client = ClientInfo::default();
        let granted = match grant {
            AdminGrant::Bootstrap => {
                if !user.email_verified {
                    return Ok(AdminGranted::Unverified);
                }
                self.accounts.grant_bootstrap_admin(tx.as_mut(), &mut user, &client).await?
            }
            AdminGrant::Operator => {
                self.accounts.grant_admin_in(tx.as_mut(), &mut user, None, "command", &client).await?
            }
        };
        tx.commit().await?;
        Ok(if granted { AdminGranted::Granted } else { AdminGranted::Inactive })
    }
}

/// Who asks for an admin grant by email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminGrant {
    /// `BOOTSTRAP_ADMIN_EMAIL` at start-up: only an account that proved its address (and is
    /// active) gets the role; whoever registered the address first, unproven, gets nothing.
    Bootstrap,
    /// The operator (`identity create-admin EMAIL`), who vouches for the account.
    Operator,
}

/// What [`AdminUserService::grant_admin`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminGranted {
    Granted,
    AlreadyAdmin,
    NoAccount,
    /// The address is not verified yet: it gets the role once it is.
    Unverified,
    /// The account is not active (locked, disabled or deleted).
    Inactive,
}

/// `GET /v1/admin/users` parameters.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    pub query: Option<String>,
    pub status: Option<String>,
    pub role: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

impl AdminUserService {
    /// Users for admins: search by email or name prefix, filter by status and role, cursor
    /// pages by id (new accounts sort last, so paging never skips or repeats a row).
    pub async fn list_users(
        &self,
        auth: &Authenticated,
        query: UserQuery,
    ) -> Result<crate::usecases::Page<crate::domain::User>, CoreError> {
        authorize(auth, Need::ADMIN)?;
        for (field, value) in [("query", &query.query), ("role", &query.role), ("status", &query.status)] {
            if let Some(value) = value {
                crate::domain::single_line(field, value).map_err(ValidationErrors::single)?;
            }
        }
        let (limit, request) = crate::usecases::page_request(query.limit, query.cursor.as_deref())?;
        let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => Some(raw.parse::<crate::domain::UserStatus>().map_err(|_| {
                ValidationErrors::single(crate::domain::FieldError::new(
                    "status",
                    "invalid_status",
                    "one of active, locked, disabled, deleted",
                ))
            })?),
        };
        let filter = crate::ports::UserFilter {
            query: query.query.filter(|q| !q.trim().is_empty()),
            status,
            role: query.role.filter(|r| !r.is_empty()),
            after: request.after,
            limit: request.limit,
        };
        let items = self.accounts.users.list_users(&filter).await?;
        Ok(crate::usecases::Page::from_fetched(items, limit, |u| u.id.as_uuid().simple().to_string()))
    }

    /// One user, for admins (deleted ones too).
    pub async fn get_user(&self, auth: &Authenticated, id: uuid::Uuid) -> Result<crate::domain::User, CoreError> {
        authorize(auth, Need::ADMIN)?;
        self.accounts.users.find_by_id(UserId::from_uuid(id)).await?.ok_or(CoreError::NotFound)
    }
}

/// Role names as an admin gives them: each must be a known role.
fn parse_roles(names: &[String]) -> Result<std::collections::BTreeSet<Role>, crate::domain::FieldError> {
    match names.iter().find(|n| !Role::KNOWN.contains(&n.as_str())) {
        Some(unknown) => Err(crate::domain::FieldError::new(
            "roles",
            "unknown_role",
            format!("{unknown:?} is not a role ({})", Role::KNOWN.join(", ")),
        )),
        None => Ok(names.iter().map(Role::new).collect()),
    }
}

/// What an admin changes on an account.
#[derive(Debug, Clone, Default)]
pub struct AdminUserChange {
    pub roles: Option<Vec<String>>,
    pub status: Option<String>,
}

impl AdminUserService {
    /// `PATCH /v1/admin/users/{id}` and the lock/unlock/delete/restore shortcuts: roles and
    /// status. Leaving `active` ends every session of the account; `deleted` is a soft delete
    /// and `active` again restores it. The last active admin cannot lose the role or be
    /// locked out (409 `last_admin`).
    pub async fn admin_change_user(
        &self,
        auth: &Authenticated,
        id: uuid::Uuid,
        change: AdminUserChange,
    ) -> Result<crate::domain::User, CoreError> {
        use crate::domain::{EventType, FieldError, RevocationReason, UserStatus, UserUpdatedData};
        use crate::ports::SessionSelector;

        authorize(auth, Need::ADMIN)?;
        let mut errors = ValidationErrors::new();
        let roles = change.roles.as_deref().and_then(|names| errors.collect(parse_roles(names)));
        let status =
            match change.status.as_deref() {
                None => None,
                Some(raw) => errors.collect(raw.parse::<UserStatus>().map_err(|_| {
                    FieldError::new("status", "invalid_status", "one of active, locked, disabled, deleted")
                })),
            };
        errors.into_result()?;

        let target = UserId::from_uuid(id);
        let now = self.ctx.now();
        let mut tx = self.uow.begin().await?;
        let mut user = tx.users().lock_user(target).await?.ok_or(CoreError::NotFound)?;
        // The account as it would be after the change: does it still count as an active admin?
        let mut after = user.clone();
        if let Some(roles) = &roles {
            after.roles = roles.clone();
        }
        after.status = status.unwrap_or(user.status);
        // Counted under the admin-set lock, so concurrent demotions cannot both pass.
        if user.counts_as_active_admin()
            && !after.counts_as_active_admin()
            && tx.users().count_active_admins().await? <= 1
        {
            return Err(CoreError::LastAdmin);
        }

        let mut changed = Vec::new();
        if let Some(roles) = roles.filter(|r| *r != user.roles) {
            tx.users().set_roles(user.id, &roles).await?;
            user.roles = roles;
            changed.push("roles".to_owned());
        }
        let mut revoked = Vec::new();
        if let Some(status) = status.filter(|s| *s != user.status) {
            user.set_status(status, now);
            user.locked_until = None;
            if status != UserStatus::Active {
                revoked = tx
                    .sessions()
                    .revoke_sessions(user.id, SessionSelector::All, now, RevocationReason::RevokedByAdmin)
                    .await?;
            }
            changed.push("status".to_owned());
        }
        if changed.is_empty() {
            return Ok(user);
        }
        user.updated_at = now;
        tx.users().update_user(&user).await?;
        let mut events = self.ctx.revoked_events(&user, &revoked, RevocationReason::RevokedByAdmin);
        events.push(self.ctx.event(
            EventType::UserUpdated,
            user.id.as_uuid(),
            &user,
            &UserUpdatedData { user_id: user.id.as_uuid(), changed: changed.clone(), updated_at: now },
        ));
        let metadata = serde_json::json!({
            "changed": changed,
            "roles": user.role_names(),
            "status": user.status.as_str(),
            "sessions_revoked": revoked.len(),
        });
        self.revoker
            .finish(
                tx,
                &events,
                self.ctx.audit_entry("user.admin_changed", Some(auth.user.id), Some(user.id), &auth.client, metadata),
                &revoked,
            )
            .await?;
        if user.is_deleted() {
            self.instances.end_all_of(user.id).await?;
        }
        Ok(user)
    }

    /// Ends every session of a user (admins only).
    pub async fn admin_revoke_sessions(&self, auth: &Authenticated, id: uuid::Uuid) -> Result<usize, CoreError> {
        authorize(auth, Need::ADMIN)?;
        let user = self.accounts.users.find_by_id(UserId::from_uuid(id)).await?.ok_or(CoreError::NotFound)?;
        let selector = crate::ports::SessionSelector::All;
        let revoked =
            self.revoker.revoke_for(auth, &user, selector, crate::domain::RevocationReason::RevokedByAdmin).await?;
        Ok(revoked.len())
    }

    /// `POST /v1/admin/users/{id}/password-reset` (Keycloak's "credential reset"): mails the
    /// user the single-use reset link of `password/forgot` (`PASSWORD_RESET_TTL_SECONDS`,
    /// voiding older links). The admin never sees the token nor sets the password; the user
    /// chooses it with `POST /v1/auth/password/reset`, which then ends every session. Sessions
    /// are left alone until then (revoke them separately when the account is compromised).
    ///
    /// `NotFound` for an unknown or deleted account. An account that may not reset its
    /// password (disabled, or locked by an admin) is refused with `AccountDisabled` or
    /// `AccountLocked` rather than mailed a link that could not be used; a lock-out after
    /// failed sign-ins is mailed (redeeming the link ends it). The mail cooldown is the one
    /// of `password/forgot` for the same address, so neither flow can mail-bomb the user
    /// (`Cooldown`). Audited as `password.reset_requested`, actor the admin, subject the
    /// user, metadata `via: admin`.
    pub async fn admin_request_password_reset(&self, auth: &Authenticated, id: uuid::Uuid) -> Result<(), CoreError> {
        use crate::domain::UserStatus;

        authorize(auth, Need::ADMIN)?;
        let user = self
            .accounts
            .users
            .find_by_id(UserId::from_uuid(id))
            .await?
            .filter(|u| !u.is_deleted())
            .ok_or(CoreError::NotFound)?;
        if !user.may_reset_password() {
            return Err(match user.status {
                UserStatus::Disabled => CoreError::AccountDisabled,
                _ => CoreError::AccountLocked,
            });
        }
        // The cooldown of `password/forgot` and `password/reset/request` too: one per address.
        self.mailer.reset_link_cooldown(&user.email).await?;
        let mut tx = self.uow.begin().await?;
        let mail = self.accounts.reset_link_mail(tx.as_mut(), &user).await?;
        self.mailer.send_in(tx.as_mut(), mail).await?;
        let metadata = serde_json::json!({ "account": true, "via": "admin" });
        self.ctx
            .finish(
                tx,
                &[],
                self.ctx.audit_entry(
                    "password.reset_requested",
                    Some(auth.user.id),
                    Some(user.id),
                    &auth.client,
                    metadata,
                ),
            )
            .await?;
        Ok(())
    }
}

/// An account an admin creates.
#[derive(Debug, Clone, Default)]
pub struct AdminNewUser {
    pub email: String,
    /// Without one, the user gets an invitation mail with a link to choose it.
    pub password: Option<String>,
    pub username: Option<String>,
    pub name: Option<String>,
    /// Default `["user"]`.
    pub roles: Option<Vec<String>>,
    /// Whether the address counts as verified (default: only once the invitation is used).
    pub email_verified: Option<bool>,
    /// The `Idempotency-Key` of the request, if it had one: a retry gets the account the
    /// first attempt made.
    pub request: Option<crate::domain::RequestKey>,
}

impl AdminUserService {
    /// `POST /v1/admin/users`: creates an active account. With a password the user can sign
    /// in at once; without one they are mailed a single-use link (`INVITATION_TTL_SECONDS`) to
    /// choose it, which also verifies the address.
    pub async fn admin_create_user(
        &self,
        auth: &Authenticated,
        input: AdminNewUser,
    ) -> Result<crate::domain::User, CoreError> {
        use crate::domain::NewUser;

        authorize(auth, Need::ADMIN)?;
        // A retry whose first attempt made the account, but whose answer was lost.
        if let Some(user) = self.accounts.made_by(input.request.as_ref()).await? {
            return Ok(user);
        }
        // The registration rules, with a throwaway password when none is given (it is never
        // shown to anyone; only the invitation link lets the user in).
        let invite = input.password.is_none();
        let password = input.password.clone().unwrap_or_else(|| self.accounts.secrets.new_token());
        let registration = crate::usecases::RegisterInput {
            email: input.email.clone(),
            password,
            username: input.username.clone(),
            name: input.name.clone(),
            client: auth.client.clone(),
            request: None,
        };
        let checked = self.accounts.validate_registration(&registration);
        let mut errors = match &checked {
            Err(CoreError::Validation(errors)) => errors.clone(),
            _ => ValidationErrors::new(),
        };
        let roles = input.roles.as_deref().and_then(|names| errors.collect(parse_roles(names)));
        errors.into_result()?;
        let valid = checked?;
        if self.accounts.users.find_by_email(&valid.email).await?.is_some() {
            return Err(CoreError::EmailTaken);
        }
        self.accounts.ensure_username_free(valid.username.as_ref()).await?;
        let password_hash = self.hasher.hash(&valid.password).await?;
        let mut user = self.accounts.new_user(NewUser {
            email: valid.email,
            username: valid.username,
            password_hash,
            email_verified: input.email_verified.unwrap_or(false),
            name: valid.name,
        });
        if let Some(roles) = roles {
            user.roles.extend(roles);
        }
        let mut tx = self.uow.begin().await?;
        tx.users().insert_user(&user).await?;
        self.accounts.requests.record(tx.journal(), input.request.as_ref(), user.id.as_uuid()).await?;
        if invite {
            let token = self.accounts.password_token(tx.as_mut(), &user, self.ctx.settings.invitation_ttl).await?;
            let ttl_minutes = u64::try_from(self.ctx.settings.invitation_ttl.num_minutes()).unwrap_or(0);
            let link = crate::kernel::link(&self.ctx.settings.password_reset_url_template, &token);
            let invitation = crate::ports::Mail::Invitation { to: user.email.clone(), link, ttl_minutes };
            self.mailer.send_in(tx.as_mut(), invitation).await?;
        }
        let metadata = serde_json::json!({ "method": "admin", "roles": user.role_names(), "invited": invite });
        self.ctx
            .finish(
                tx,
                &[self.accounts.registered_event(&user)],
                self.ctx.audit_entry("user.registered", Some(auth.user.id), Some(user.id), &auth.client, metadata),
            )
            .await?;
        Ok(user)
    }
}
