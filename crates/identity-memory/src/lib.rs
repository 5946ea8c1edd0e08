//! In-memory adapters for every port: the embedded default (no configuration needed; data is
//! lost at exit) and the fast test double. They pass the same contract suites as the real
//! adapters.

mod bus;
mod codes;
mod notifier;
mod store;

pub use bus::InProcessBus;
pub use codes::{MemoryCodeStore, MemoryRateLimiter, MemoryRevocations};
pub use notifier::CapturingNotifier;
pub use store::MemoryStore;
