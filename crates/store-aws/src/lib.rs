//! sendas-store-aws: the AWS backend. [`DynamoStore`] keeps every
//! aggregate in one DynamoDB table; [`SecretsManagerStore`] keeps mailbox
//! login secrets in AWS Secrets Manager, one secret per mailbox under a
//! configurable prefix. Endpoint, region and
//! credentials come from the standard AWS configuration chain, so
//! `AWS_ENDPOINT_URL` points both at a local server (moto) in tests.
//!
//! # DynamoDB single-table design
//!
//! Key attributes: `PK`, `SK` (strings) on the table; one global secondary
//! index `GSI1` on `GSI1PK`, `GSI1SK` (projection ALL). Model values are
//! stored as their serde attributes (serde_dynamo) next to the keys. TTL
//! attribute: `ttl` (epoch seconds: audit records and AUTH failure counters).
//!
//! | item | PK | SK | GSI1PK / GSI1SK | extra |
//! |---|---|---|---|---|
//! | tenant | `TENANT#<t>` | `TENANT` | `TENANTS` / `<t>` | `mailbox_count` (non-system mailboxes) |
//! | company | `TENANT#<t>` | `COMPANY#<c>` | | |
//! | user | `TENANT#<t>` | `USER#<u>` | | |
//! | login claim | `LOGIN#<login>` | `LOGIN` | | `tenant_id`, `user_id` |
//! | group | `TENANT#<t>` | `GROUP#<g>` | | |
//! | mailbox | `TENANT#<t>` | `MAILBOX#<m>` | | access list and SMTP settings inline |
//! | address claim | `TENANT#<t>` | `ADDRESS#<address>` | | `mailbox_id` |
//! | SMTP credential | `TENANT#<t>` | `CRED#<u>#<c>` | | hash only |
//! | a user's credential count | `CREDCOUNT#<t>#<u>` | `COUNT` | | `n` (the cap of 20, also under races) |
//! | API token | `TOKEN#<id>` | `TOKEN` | `TOKENS#<t>` or `TOKENS#OPERATOR` / `<id>` | hash only |
//! | audit record | `AUDIT#<t>` | `<at, 20 digits>#<id>` | `AUDIT#<t>#<mailbox>` / same as SK | `ttl` |
//! | mailbox health | `HEALTH#<t>` | `<m>` | | written by the relay when a login's outcome changes |
//! | system relay | `PLATFORM` | `SYSTEM_RELAY` | | |
//! | AUTH failure counter | `AUTHFAIL#<ip:… or login:…>` | `W#<window bucket, 20 digits>` | | `n`, `ttl` (see `DynamoFailureCounter`) |
//!
//! # Access patterns and what each costs
//!
//! | pattern | requests |
//! |---|---|
//! | create tenant (tenant, company, system mailbox, address claim, admin token) | 1 TransactWriteItems (5 items) |
//! | get tenant / company / user / group / mailbox / token | 1 GetItem |
//! | list a tenant's companies / users / groups / mailboxes | 1 Query per page (`begins_with(SK, ...)`), one more per further MB of items |
//! | list tenants; list a tenant's tokens | 1 Query per page on GSI1, one more per further MB |
//! | user by login (SMTP AUTH) | 2 GetItem (claim, user) |
//! | create user | 1 TransactWriteItems (user + login claim) |
//! | create mailbox within quota | 1 TransactWriteItems (tenant count update conditioned on `mailbox_count < mailbox_quota`, address claim, mailbox); +1 GetItem only when it fails, to tell quota from a missing tenant |
//! | update mailbox, same address / new address | 1 UpdateItem / 1 GetItem + 1 TransactWriteItems (3 items) |
//! | delete mailbox | 1 GetItem + 1 TransactWriteItems (mailbox, claim, count) |
//! | find mailbox by address | 2 GetItem (claim, mailbox) |
//! | a user's credentials | 1 Query (one more per further MB) |
//! | create / revoke a credential | 1 TransactWriteItems (credential, the user's count conditioned on `n < 20` / `n > 0`) |
//! | mailbox health of a tenant / record one | 1 Query / 1 PutItem |
//! | audit by user or outcome | the time-range Query with a filter (reads the range, returns the matches) |
//! | permission snapshot (tenant, user, all mailboxes) | 2 GetItem + 1 Query per 500 mailboxes or per MB of them, whichever is more |
//! | append audit record | 1 PutItem |
//! | audit by tenant and time range, newest first | 1+ Query (`SK BETWEEN`, backwards; expired items filtered) |
//! | audit by mailbox | 1+ Query on GSI1 |
//! | AUTH lockout check (IP and login) / one failed AUTH | 1 BatchGetItem (again for unprocessed keys) / 2 UpdateItem |
//!
//! DynamoDB ends every Query response at 1 MB, whatever `Limit` says, and
//! reports the rest only through `LastEvaluatedKey`: every list follows it
//! until the page is full or the items end (`DynamoStore::query_all`), so
//! a page of up to 500 items is complete however large its items are
//! (contract case `lists_past_one_backend_page_are_complete`). Keys a
//! BatchGetItem leaves unprocessed and items a BatchWriteItem leaves
//! unprocessed are sent again.
//!
//! Quota, the app-password cap and address uniqueness are conditions
//! inside one TransactWriteItems, so concurrent creations cannot exceed
//! the quota or the cap, or claim an address twice. A transaction cancelled because of a
//! concurrent transaction (`TransactionConflict`) is retried with backoff.
//! Reads of single items and base-table queries are strongly consistent;
//! queries on GSI1 (tenant list, token list, audit by mailbox) are
//! eventually consistent. Expired audit records are filtered on read and
//! deleted by DynamoDB TTL.

mod counter;
mod dynamo;
mod error;
mod keys;
mod secrets;
mod table;
mod throttle;

pub use counter::{RecordedRequest, RequestCounter, Target};
pub use dynamo::DynamoStore;
pub use secrets::SecretsManagerStore;
pub use table::create_table;
pub use throttle::DynamoFailureCounter;

/// Loads the AWS configuration from the standard chain (environment,
/// profile, `AWS_ENDPOINT_URL`, instance role).
pub async fn load_aws_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}
