//! Access: what a user may use beyond their roles (groups, memberships, app grants) and the
//! apps a user ends up with.

mod forward;
mod model;
mod service;
mod store;

/// Groups, members and app grants.
pub mod domain {
    pub use super::model::{AppGrant, AppKey, Grantee, Group, GroupId, GroupMember, GroupName, UserApp};
}

/// What access needs of a store.
pub mod ports {
    pub use super::store::{AccessRepository, AccessWrites};
}

/// The access use cases.
pub mod usecases {
    pub use super::forward::{AmbiguousPath, ForwardCheck, ForwardRoutes, ForwardedIdentity};
    pub use super::service::{AccessService, GroupChange};
}
