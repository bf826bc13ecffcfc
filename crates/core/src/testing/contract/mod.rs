//! The store contract suite: what every `Store` and `SecretStore` backend
//! must do. Each case takes a fresh [`Backend`]; the
//! [`store_contract_tests!`](crate::store_contract_tests) macro turns the
//! list into one `#[tokio::test]` per case in the calling crate, so test
//! names say which backend ran (`dynamodb::contract::quota_race_...`).

mod audit;
mod directory;
mod domains;
mod idempotency;
mod large;
mod mailboxes;
mod secrets;
mod send_counter;
mod templates;
mod tokens;
mod versions;

pub use audit::*;
pub use directory::*;
pub use domains::*;
pub use idempotency::*;
pub use large::*;
pub use mailboxes::*;
pub use secrets::*;
pub use send_counter::*;
pub use templates::*;
pub use tokens::*;
pub use versions::*;

use crate::ports::{SecretStore, Store};
use std::sync::Arc;

/// One backend under test: a fresh, empty store and secret store.
pub struct Backend {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The secret store.
    pub secrets: Arc<dyn SecretStore>,
}

/// Expands to one multi-threaded `#[tokio::test]` per contract case, each
/// calling `$make().await` for a fresh [`Backend`]. The calling crate needs
/// `tokio` with `macros` and `rt-multi-thread`.
#[macro_export]
macro_rules! store_contract_tests {
    ($make:path) => {
        $crate::store_contract_tests!(@cases $make;
            tenants_round_trip,
            tenant_creation_conflicts_on_reuse,
            missing_items_are_not_found,
            companies_and_groups_round_trip,
            logins_are_unique_across_tenants,
            users_update_but_keep_their_login,
            pagination_visits_every_item_once,
            tenants_cannot_see_each_other,
            quota_race_twenty_creations_one_winner,
            quota_counts_only_non_system_mailboxes_and_frees_on_delete,
            address_race_twenty_creations_one_winner,
            mailbox_update_moves_the_address,
            login_methods_and_health_round_trip,
            credentials_round_trip,
            credential_cap_holds_under_a_race,
            tokens_round_trip,
            audit_newest_first_with_range_mailbox_and_paging,
            audit_retention_hides_and_purges_expired,
            audit_batches_are_appended_whole,
            system_relay_round_trip,
            secrets_round_trip,
            lists_past_one_backend_page_are_complete,
            concurrent_edits_never_lose_one,
            group_deletion_leaves_nothing_naming_the_group,
            templates_round_trip,
            idempotency_keys_are_claimed_once,
            domain_claims_are_held_by_one_tenant,
            ten_tenants_racing_for_a_domain_one_winner,
            system_addresses_are_unique_across_the_platform,
            confirmations_and_platform_domains_round_trip
        );
    };
    (@cases $make:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let backend = $make().await;
                $crate::testing::contract::$case(backend).await;
            }
        )*
    };
}

/// Unwraps a store result in a contract case, naming the step on failure.
#[track_caller]
pub(crate) fn ok<T, E: std::fmt::Debug>(r: Result<T, E>, step: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{step}: {e:?}"),
    }
}
