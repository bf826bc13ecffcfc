//! The world the fuzz targets run in: one user `alice` (password `pw`)
//! who may send as `a@tenant.example` and `shared@tenant.example` and take
//! replies at `reply@tenant.example`, and a relay that re-checks every
//! message it is handed: no message may reach it that the verdict, run
//! again on exactly the bytes relayed, would refuse.

use async_trait::async_trait;
use sendas_core::model::{Mailbox, MailboxScope, Tenant};
use sendas_core::policy::UsableMailboxes;
use sendas_core::service::permissions::PermissionSnapshot;
use sendas_core::testing::fixtures;
use sendas_core::testing::{MemorySecretStore, MemoryStore};
use sendas_core::{StoreError, TenantId, Timestamp};
use sendas_smtp_proxy::authn::{AuthOutcome, AuthedUser, Authenticator};
use sendas_smtp_proxy::config::{Limits, ProxyConfig};
use sendas_message::data::{DataLimits, DataReader};
use sendas_relay::{Envelope, Relay, RelayError, Relayed};
use sendas_smtp_proxy::session::Deps;
use sendas_message::verdict::{Verdict, decide};
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The fixed permission snapshot.
pub fn snapshot() -> Arc<PermissionSnapshot> {
    static SNAPSHOT: OnceLock<Arc<PermissionSnapshot>> = OnceLock::new();
    SNAPSHOT
        .get_or_init(|| {
            let t = TenantId::generate();
            let tenant = Tenant {
                id: t,
                name: fixtures::name("Tenant"),
                enabled: true,
                mailbox_quota: 10,
                created_at: Timestamp(0),
                allow_executable_attachments: false,
                limits: Default::default(),
            };
            let user = fixtures::user(t, "alice", &[]);
            let mb = |a: &str| fixtures::mailbox(t, a, MailboxScope::Global);
            let usable = UsableMailboxes {
                from: vec![mb("a@tenant.example"), mb("shared@tenant.example")],
                reply_to: vec![mb("a@tenant.example"), mb("reply@tenant.example")],
                ..Default::default()
            };
            Arc::new(PermissionSnapshot { tenant, user, usable })
        })
        .clone()
}

/// Limits small enough that every limit is reachable by a fuzz input.
pub fn limits() -> Limits {
    Limits {
        max_message_size: 64 * 1024,
        max_recipients: 5,
        max_header_size: 8 * 1024,
        max_command_line: 512,
        command_timeout: Duration::from_millis(50),
        data_timeout: Duration::from_millis(50),
        auth_failure_delay: Duration::ZERO,
        ..Limits::default()
    }
}

struct FuzzAuth;

#[async_trait]
impl Authenticator for FuzzAuth {
    async fn authenticate(&self, _ip: IpAddr, login: &str, password: &str) -> AuthOutcome {
        let s = snapshot();
        match (login, password) {
            ("alice", "pw") => {
                AuthOutcome::Ok(AuthedUser {
                tenant: s.tenant.id,
                user: s.user.id,
                login: "alice".into(),
                credential: sendas_core::CredentialId::generate(),
                issued_by: None,
            })
            }
            ("locked", _) => AuthOutcome::LockedIp,
            ("busy", _) => AuthOutcome::Unavailable,
            _ => AuthOutcome::Invalid,
        }
    }

    async fn snapshot(&self, _user: &AuthedUser) -> Result<Arc<PermissionSnapshot>, StoreError> {
        Ok(snapshot())
    }

    async fn still_valid(&self, _user: &AuthedUser) -> Result<bool, StoreError> {
        Ok(true)
    }
}

/// Re-reads `message` as the DATA reader would see it on the wire and
/// runs the verdict again: anything but "relay as `mailbox`" is a bug.
pub fn recheck(mailbox: &Mailbox, envelope: &Envelope, message: &[u8]) {
    let l = limits();
    let wire = sendas_testkit::dot_stuffed(message);
    let mut reader = DataReader::new(DataLimits { max_size: l.max_message_size, max_line: l.max_line_length });
    let (_, received) = reader.feed(&wire);
    let received = received.expect("a relayed message re-reads to its end");
    assert_eq!(received.message, message, "a relayed message re-reads to the same bytes");
    let snap = snapshot();
    match decide(&received, Some(&envelope.from), &snap.usable, l.max_header_size, l.max_line_length) {
        Verdict::Relay { mailbox: again, .. } => assert_eq!(again.id, mailbox.id, "relayed as another mailbox"),
        Verdict::Reject { reply, .. } => panic!("relayed a message the verdict refuses: {reply:?}"),
    }
    assert_eq!(envelope.from, mailbox.address, "MAIL FROM upstream is the sending mailbox");
}

struct CheckingRelay;

#[async_trait]
impl Relay for CheckingRelay {
    async fn relay(&self, mailbox: &Mailbox, envelope: &Envelope, message: &[u8]) -> Result<Relayed, RelayError> {
        recheck(mailbox, envelope, message);
        Ok(Relayed { upstream_reply: "2.0.0 queued".into() })
    }
}

/// The session's dependencies: the fake authenticator, the checking relay,
/// a memory store for the audit records.
pub fn deps() -> Deps {
    let config = ProxyConfig { hostname: "fuzz.test".into(), limits: limits(), plaintext_auth_insecure: true };
    let secrets = sendas_relay::CachedSecrets::with_default_ttl(Arc::new(MemorySecretStore::default()));
    sendas_smtp_proxy::builder::ProxyBuilder::new(Arc::new(MemoryStore::new()), secrets, config)
        .authenticator(Arc::new(FuzzAuth))
        .relay(Arc::new(CheckingRelay))
        .build()
        .deps
}
