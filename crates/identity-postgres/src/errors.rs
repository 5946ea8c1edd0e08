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
        // diesel-async reports a connection that closed under a statement (the server
        // stopped, the network dropped) as a command it could not send.
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _)
        | DieselError::BrokenTransactionManager => RepoError::Unavailable(error.into()),
        _ => RepoError::Unknown(error.into()),
    }
}

/// The pool could not hand out a connection: the database is down or saturated.
pub fn pool_error(error: impl std::error::Error + Send + Sync + 'static) -> RepoError {
    RepoError::Unavailable(anyhow::Error::new(error).context("no database connection"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_lost_under_a_statement_is_unavailable_not_unexpected() {
        // What diesel-async makes of a tokio-postgres error without a SQLSTATE (`closed`).
        let lost = DieselError::DatabaseError(
            DatabaseErrorKind::UnableToSendCommand,
            Box::new("connection closed".to_owned()),
        );
        assert!(matches!(repo_error(lost), RepoError::Unavailable(_)));
        let other = DieselError::DatabaseError(DatabaseErrorKind::CheckViolation, Box::new("check".to_owned()));
        assert!(matches!(repo_error(other), RepoError::Unknown(_)));
    }
}
