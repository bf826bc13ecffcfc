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
//! | tenant | `TENANT#<t>` | `TENANT` | `TENANTS` / `<t>` | written only when the tenant itself changes |
//! | a tenant's mailbox count | `TENANT#<t>` | `MAILBOXCOUNT` | | `n` (non-system mailboxes), `quota` (copy of the tenant's) |
//! | company | `TENANT#<t>` | `COMPANY#<c>` | | |
//! | user | `TENANT#<t>` | `USER#<u>` | | `version` |
//! | login claim | `LOGIN#<login>` | `LOGIN` | | `tenant_id`, `user_id` |
//! | group | `TENANT#<t>` | `GROUP#<g>` | | `version`; `refs` (raised by every write that adds it somewhere), `deleting` |
//! | mailbox | `TENANT#<t>` | `MAILBOX#<m>` | | `version`; access list and SMTP settings inline |
//! | address claim | `TENANT#<t>` | `ADDRESS#<address>` | | `mailbox_id` |
//! | SMTP credential | `TENANT#<t>` | `CRED#<u>#<c>` | | hash only |
//! | a user's credential count | `CREDCOUNT#<t>#<u>` | `COUNT` | | `n` (the cap of 20, also under races) |
//! | API token | `TOKEN#<id>` | `TOKEN` | `TOKENS#<t>` or `TOKENS#OPERATOR` / `<id>` | hash only |
//! | template | `TENANT#<t>` | `TEMPLATE#<id>` | | `version` |
//! | audit record | `AUDIT#<t>#<shard>` | `<at, 20 digits>#<id>` | `AUDIT#<t>#<mailbox>#<shard>` / same as SK | `ttl`; shard 0..8 from the id |
//! | idempotency key (HTTP send) | `IDEMP#<t>#<u>` | `<key>` | | `expires_ms`, `ttl` |
//! | mailbox health | `HEALTH#<t>` | `<m>` | | written by the relay when a login's outcome changes |
//! | system-address claim | `SYSADDR#<address>` | `SYSADDR` | | `tenant_id`, `mailbox_id`: a system mailbox's address, unique across the platform |
//! | sending domain (a tenant's claim) | `CLAIMS#<t>` | `DOMAIN#<id>` | `DOMAINS` / `<t>#<id>` | `version`, `state` |
//! | a tenant's claimed name | `CLAIMS#<t>` | `DOMAINNAME#<name>` | | `domain_id` (a tenant claims a name once); claims have a partition of their own, so the re-check's principal writes them and nothing else |
//! | platform-wide domain claim | `DOMAIN#<name>` | `DOMAIN` | | `tenant_id`, `domain_id`: exists exactly while that claim is `verified` or `assigned` |
//! | confirmed address | `TENANT#<t>` | `CONFIRM#<address>` | | `version`; the code only as a hash |
//! | system relay | `PLATFORM` | `SYSTEM_RELAY` | | |
//! | platform domains and sender | `PLATFORM` | `PLATFORM_DOMAINS` | | |
//! | AUTH failure counter | `AUTHFAIL#<ip:… or login:…>` | `W#<window bucket, 20 digits>` | | `n`, `ttl` (see `DynamoFailureCounter`) |
//! | sending-limit counter | `LIMIT#<t>#<user/…, mailbox/… or tenant>` | `<minute, hour or day>#<bucket, 20 digits>` | | `m`, `r`, `ttl` (see `DynamoSendCounter`) |
//!
//! # Access patterns and what each costs
//!
//! Every row is measured by `tests/access_patterns.rs` (the SDK
//! interceptor [`RequestCounter`] records each request on moto). "per
//! page" rows assume the page's items fit in one 1 MB response; each
//! further MB costs one more Query.
//!
//! | pattern | requests |
//! |---|---|
//! | create tenant (tenant, mailbox count, company, system mailbox, address claim, admin token, system-address claim) | 1 TransactWriteItems (7 items); + 3 per assigned domain (claim, name, platform-wide claim), at most 31 domains |
//! | update tenant (name, `enabled`, quota copied to the count) | 1 TransactWriteItems (2 items) |
//! | get tenant / company / user / group / mailbox / token | 1 GetItem |
//! | list a tenant's companies / users / groups / mailboxes | 1 Query per page (`begins_with(SK, ...)`) |
//! | list tenants; list a tenant's tokens | 1 Query per page on GSI1 |
//! | user by login (SMTP AUTH) | 2 GetItem (claim, user) |
//! | create user in k groups | 1 TransactWriteItems (2 + k items: user, login claim, each group's `refs`) |
//! | update user / joining k groups | 1 conditional PutItem / 1 TransactWriteItems (1 + k items) |
//! | a versioned write that lost a race | the write + 1 GetItem to tell a stale version from a missing item |
//! | rename group | 1 UpdateItem (conditioned on `version`, not `deleting`) |
//! | delete group with r ≤ 99 references | 1 GetItem + 2 Query (users, mailboxes) + 1 TransactWriteItems (r + 1 items) |
//! | delete group with r > 99 references | 1 GetItem + 2 Query + 1 TransactWriteItems (the `deleting` mark) + 2 Query + ⌈r/100⌉ TransactWriteItems + 2 Query (none left) + 1 DeleteItem |
//! | create mailbox within quota | 1 TransactWriteItems (count update conditioned on `n < quota`, address claim, mailbox); +1 GetItem only when it fails, to tell quota from a missing tenant |
//! | update mailbox, same address, no group added | 1 conditional PutItem |
//! | update mailbox, new address and/or k groups added | 1 TransactWriteItems (1 + 2 for a new address (+ 2 more for a system mailbox: its system-address claims) + k items) |
//! | delete mailbox | 1 GetItem + 1 TransactWriteItems (mailbox, claim, count; a system mailbox: its system-address claim instead of the count) + 1 DeleteItem (its health) |
//! | find mailbox by address | 2 GetItem (claim, mailbox) |
//! | a user's credentials | 1 Query |
//! | create / revoke a credential | 1 TransactWriteItems (credential, the user's count conditioned on `n < 20` / `n > 0`) |
//! | create / get / list / update / delete templates | 1 PutItem / 1 GetItem / 1 Query per page / 1 conditional PutItem / 1 conditional DeleteItem |
//! | claim an `Idempotency-Key` (free or expired / taken) | 1 conditional PutItem / + 1 GetItem |
//! | store a key's answer / release a key | 1 PutItem / 1 DeleteItem |
//! | create / get / list tokens | 1 PutItem / 1 GetItem / 1 Query on GSI1 per page |
//! | mailbox health of a tenant / record one | 1 Query / 1 PutItem |
//! | permission snapshot (tenant, user, all mailboxes and users; the groups for a user in any; the ownership book) | 2 GetItem + 1 Query per 500 mailboxes or per MB of them, whichever is more, + the same for users and, when the user is in a group, for groups, + the book (in parallel; a group marked `deleting` grants nothing) |
//! | ownership book of a tenant (its domains, its confirmations, the platform domains) | 2 Query (domains per page of 500, confirmations) + 1 GetItem, in parallel; + 1 GetItem (the holder) per domain of a confirmed address |
//! | claim a domain / assign one (create, holding) | 1 TransactWriteItems (claim, name) / (claim, name, platform-wide claim conditioned on `attribute_not_exists`) |
//! | get a claim / the holder of a name | 1 GetItem / 1 GetItem |
//! | a tenant's claims / every tenant's claims | 1 Query per page / 1 Query per page on GSI1 (`DOMAINS`) |
//! | update a claim, holding unchanged (a re-check) | 1 conditional PutItem (on `version` and the name) |
//! | verify / lapse a claim (holding changes) | 1 TransactWriteItems (claim; platform-wide claim put if free or its own / deleted if its own) |
//! | a claim write whose condition failed (lost race, stale version, or a retry that had succeeded: `Ok`) | the write + 1 GetItem (the claim, compared with `after`) |
//! | delete a claim (holding / not) | 1 TransactWriteItems (claim, name, platform-wide claim / claim, name) |
//! | confirmations: create / replace / get / list / delete | 1 PutItem (`attribute_not_exists`) / 1 conditional PutItem / 1 GetItem / 1 Query / 1 DeleteItem |
//! | platform domains: set / read | 1 PutItem / 1 GetItem |
//! | append one audit record / a batch | 1 PutItem / 1 BatchWriteItem per 25 (unprocessed items sent again) |
//! | audit page by time range, newest first (any filter) | 8 Query, one per shard, in parallel (`SK BETWEEN`, backwards); user and outcome are filters on the range |
//! | audit page by mailbox | 8 Query on GSI1, one per shard |
//! | AUTH lockout check (IP and login) / one failed AUTH | 1 BatchGetItem (again for unprocessed keys) / 2 UpdateItem |
//! | system relay: set / read | 1 PutItem / 1 GetItem |
//! | take a block of a sending limit (granted or refused) | 1 UpdateItem (`ADD`, conditioned on the limit) |
//!
//! Hot keys: a tenant's audit appends spread over 8 partition keys (and a
//! mailbox's over 8 GSI1 keys), so one busy tenant is not capped near the
//! ~1,000 writes/s of one key; the price is a read fan-out of 8 Query per
//! page, which only the audit page pays. Mailbox creation and deletion
//! write the tenant's count item, never the tenant item, whose GSI1 entry
//! shares the single `TENANTS` key with every other tenant. Every claim's
//! GSI1 entry shares the single `DOMAINS` key (the re-check reads them all
//! in one Query per page); claims are written when claimed, checked (once
//! a day) and released, far below one key's write rate.
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
//! the quota or the cap, or claim an address twice. Platform-wide claims
//! work the same way: a sending domain that holds (`verified`, `assigned`)
//! owns the one `DOMAIN#<name>` item, put in the transaction of the state
//! change on the condition that it is free or already its own and deleted
//! in the transaction that lapses or deletes the claim, so of ten tenants
//! verifying one name at once exactly one wins; another tenant's claim
//! answers `Conflict` with `domain_claimed`. A claim write whose condition
//! failed reads the claim once: if it already equals `after` (a retried
//! write that had succeeded) the answer is `Ok`. A system mailbox's address
//! owns `SYSADDR#<address>` the same way (tenant creation; an address move
//! takes the new item and frees the old in one transaction). Tables of
//! releases before these claims hold no `SYSADDR#` items for their
//! existing system mailboxes: `DynamoStore::claim_system_addresses`, run
//! once after the upgrade (`sendas claim-system-addresses --aws-table T`), claims them (the tenant created first keeps a
//! shared one); until then an existing address is claimed when it moves. Users, groups and
//! mailboxes are replaced only while their `version` is the one read (no
//! lost update; see `dynamo/versioned.rs` for how group references stay
//! consistent with a concurrent group deletion). A transaction cancelled because of a
//! concurrent transaction (`TransactionConflict`) is retried with backoff.
//! Reads of single items and base-table queries are strongly consistent;
//! queries on GSI1 (tenant list, token list, audit by mailbox, every
//! tenant's domain claims) are eventually consistent. Expired audit records are filtered on read and
//! deleted by DynamoDB TTL.

mod backends;
mod counter;
mod dynamo;
mod error;
mod keys;
mod secrets;
mod send_counter;
mod table;
mod throttle;

pub use backends::AwsBackends;
pub use counter::{RecordedRequest, RequestCounter, Target};
pub use dynamo::DynamoStore;
pub use secrets::SecretsManagerStore;
pub use send_counter::{DynamoSendCounter, TAKE_TIMEOUT};
pub use table::create_table;
pub use throttle::DynamoFailureCounter;

/// Loads the AWS configuration from the standard chain (environment,
/// profile, `AWS_ENDPOINT_URL`, instance role).
pub async fn load_aws_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}
