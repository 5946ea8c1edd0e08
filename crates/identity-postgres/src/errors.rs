use diesel::result::{DatabaseErrorKind, Error as DieselError};
use identity_core::ports::{Conflict, RepoError};

/// Translates diesel's errors into the port's: a unique violation names the rule it broke,
/// a lost connection is "unavailable", anything else is unexpected.
pub fn repo_error(error: DieselError) -> RepoError {
    match &error {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => match info.constraint_name() {
            Some("users_email_key") => RepoError::Conflict(Conflict::Email),
            Some("users_username_key") => RepoError::Conflict(Conflict::Username),
            Some("groups_name_key") => RepoError::Conflict(Conflict::GroupName),
            Some("mfa_methods_passkey_id_key") => RepoError::Conflict(Conflict::Passkey),
            _ => RepoError::Unknown(error.into()),
        },
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) | DieselError::BrokenTransactionManager => {
            RepoError::Unavailable(error.into())
        }
        _ => RepoError::Unknown(error.into()),
    }
}

/// The pool could not hand out a connection: the database is down or saturated.
pub fn pool_error(error: impl std::error::Error + Send + Sync + 'static) -> RepoError {
    RepoError::Unavailable(anyhow::Error::new(error).context("no database connection"))
}
