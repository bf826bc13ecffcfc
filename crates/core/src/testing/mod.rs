//! Test support (feature `test-util`): an in-memory store and secret
//! store, and the store contract suite that every backend must pass.

mod memory;
mod memory_secrets;

pub mod contract;
pub mod fixtures;

pub use memory::MemoryStore;
pub use memory_secrets::MemorySecretStore;
