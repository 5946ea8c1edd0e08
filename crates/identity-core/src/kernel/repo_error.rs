//! What a store answers when it cannot do what it was asked.

/// What a store answers when it cannot do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A uniqueness rule refused the write (duplicate email, username, …).
    #[error("conflict: {0:?} is already taken")]
    Conflict(Conflict),
    /// The store could not be reached or timed out: worth retrying later (HTTP 503).
    #[error("store unavailable: {0}")]
    Unavailable(#[source] anyhow::Error),
    /// Anything else: a bug or a broken invariant (HTTP 500, logged with its cause).
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Which uniqueness rule a write broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    Email,
    Username,
    /// Another group has this name (names are unique regardless of case).
    GroupName,
    /// A passkey with this credential id is registered already (one authenticator's key
    /// belongs to one account).
    Passkey,
}
