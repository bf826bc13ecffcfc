//! `--demo`: seeds a demo tenant (two companies, users alice and bob, a
//! group, a global, a restricted, an authenticated and a reply-only
//! mailbox) and describes it in `DATA_DIR/demo.json`.

use anyhow::Context;
use sendas_core::model::{MailboxFlags, MailboxScope, Role, SmtpSettings, TlsMode};
use sendas_core::policy::{Usage, may_use};
use sendas_core::ports::{SecretStore, Store};
use sendas_core::secret::{ExposeSecret, SecretString};
use sendas_core::service::{credentials, directory, mailboxes, permissions, tenants, tokens};
use sendas_core::{TenantId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

/// The file the demo is described in.
pub const DEMO_FILE: &str = "demo.json";

/// `demo.json`.
#[derive(Debug, Serialize, Deserialize)]
pub struct DemoInfo {
    /// Base URL of the API.
    pub api: String,
    /// Where the SMTP proxy listens (filled in once the proxy runs).
    pub smtp: SmtpInfo,
    /// Operator and admin tokens.
    pub tokens: DemoTokens,
    /// The demo tenant.
    pub tenant_id: TenantId,
    /// The demo users.
    pub users: Vec<DemoUser>,
}

/// The SMTP part of `demo.json`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SmtpInfo {
    /// Host of the proxy.
    pub host: Option<String>,
    /// STARTTLS port.
    pub port: Option<u16>,
    /// Implicit TLS port.
    pub tls_port: Option<u16>,
}

/// Tokens of `demo.json`.
#[derive(Debug, Serialize, Deserialize)]
pub struct DemoTokens {
    /// Operator token.
    pub operator: String,
    /// Admin token of the demo tenant.
    pub admin: String,
}

/// A demo user.
#[derive(Debug, Serialize, Deserialize)]
pub struct DemoUser {
    /// Login (SMTP username).
    pub login: String,
    /// App password (SMTP password).
    pub password: String,
    /// User API token.
    pub token: String,
    /// User id.
    pub id: UserId,
    /// Addresses it may send as.
    pub may_send_as: Vec<String>,
    /// Addresses of the tenant it may not send as.
    pub may_not_send_as: Vec<String>,
    /// Addresses it may use as Reply-To.
    pub may_reply_to: Vec<String>,
}

/// Reads `demo.json` from the data directory, if it exists.
pub fn load(dir: &Path) -> anyhow::Result<Option<DemoInfo>> {
    let path = dir.join(DEMO_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).with_context(|| format!("reading {}", path.display()))?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes `demo.json` (mode 0600: it holds tokens and passwords).
pub fn save(dir: &Path, info: &DemoInfo) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(DEMO_FILE);
    let tmp = dir.join(format!("{DEMO_FILE}.tmp"));
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    f.write_all(&serde_json::to_vec_pretty(info)?)?;
    f.sync_all()?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))
}

fn err(e: sendas_core::ServiceError) -> anyhow::Error {
    anyhow::anyhow!("seeding the demo: {e}")
}

/// Seeds the demo tenant through the use-cases, as the operator and its admin would.
pub async fn seed(store: &dyn Store, secrets: &dyn SecretStore, api: &str, operator: &str) -> anyhow::Result<DemoInfo> {
    let op = Role::Operator;
    let input = tenants::CreateTenant {
        name: "Demo Seminars".into(),
        company_name: Some("Academy".into()),
        system_address: "system@demo.example".into(),
        mailbox_quota: Some(5),
        // The operator assigns the demo domain (SPEC §5: "its domain assigned as verified by the operator").
        domains: vec!["demo.example".into()],
    };
    let created = tenants::create(store, &op, input).await.map_err(err)?;
    let t = created.tenant.id;
    let admin = Role::Admin { tenant_id: t };
    let academy = created.company.id;
    let events = directory::create_company(store, &admin, t, "Events").await.map_err(err)?.id;
    let sales = directory::create_group(store, &admin, t, "Sales").await.map_err(err)?.id;
    let new_user = |login: &str, name: &str, company, groups: BTreeSet<_>| directory::CreateUser {
        limits: Default::default(),
        login: login.into(),
        name: name.into(),
        companies: BTreeSet::from([company]),
        groups,
    };
    let alice =
        directory::create_user(store, &admin, t, new_user("alice", "Alice Academy", academy, BTreeSet::from([sales])))
            .await
            .map_err(err)?;
    let bob = directory::create_user(store, &admin, t, new_user("bob", "Bob Events", events, BTreeSet::new()))
        .await
        .map_err(err)?;
    let flags = |sender, reply| MailboxFlags { sender, reply, restricted: false, enabled: true };
    let mailbox = |address: &str, name: &str, scope, flags, smtp| mailboxes::MailboxInput {
        display_name_policy: Default::default(),
        limits: Default::default(),
        address: address.into(),
        display_name: name.into(),
        scope,
        flags,
        smtp,
    };
    mailboxes::create(
        store,
        &admin,
        t,
        mailbox("info@demo.example", "Demo Info", MailboxScope::Global, flags(true, true), None),
    )
    .await
    .map_err(err)?;
    let restricted = mailboxes::create(
        store,
        &admin,
        t,
        mailbox("sales@demo.example", "Demo Sales", MailboxScope::Global, flags(true, true), None),
    )
    .await
    .map_err(err)?;
    mailboxes::set_access(
        store,
        &admin,
        t,
        restricted.id,
        true,
        BTreeSet::new(),
        BTreeSet::from([sales]),
        &Default::default(),
    )
    .await
    .map_err(err)?;
    let smtp = SmtpSettings::new("smtp.demo.example", 587, TlsMode::Starttls, "billing@demo.example")
        .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.reason))?;
    let billing = mailboxes::create(
        store,
        &admin,
        t,
        mailbox(
            "billing@demo.example",
            "Academy Billing",
            MailboxScope::Company(academy),
            flags(true, true),
            Some(smtp),
        ),
    )
    .await
    .map_err(err)?;
    let demo_password = SecretString::from("demo-billing-password");
    mailboxes::set_password(store, secrets, &admin, t, billing.id, &demo_password).await.map_err(err)?;
    mailboxes::create(
        store,
        &admin,
        t,
        mailbox("replies@demo.example", "Demo Replies", MailboxScope::Company(events), flags(false, true), None),
    )
    .await
    .map_err(err)?;

    let mut users = Vec::new();
    for user in [alice, bob] {
        let cred = credentials::issue(store, &admin, t, user.id, "demo").await.map_err(err)?;
        let role = Role::User { tenant_id: t, user_id: user.id };
        let token = tokens::issue(store, &admin, role, "demo").await.map_err(err)?;
        let (may_send_as, may_not_send_as, may_reply_to) = permissions_of(store, t, user.id).await?;
        users.push(DemoUser {
            login: user.login.to_string(),
            password: cred.password.expose_secret().to_owned(),
            token: token.text.expose_secret().to_owned(),
            id: user.id,
            may_send_as,
            may_not_send_as,
            may_reply_to,
        });
    }
    Ok(DemoInfo {
        api: api.to_owned(),
        smtp: SmtpInfo::default(),
        tokens: DemoTokens {
            operator: operator.to_owned(),
            admin: created.admin_token.text.expose_secret().to_owned(),
        },
        tenant_id: t,
        users,
    })
}

/// (may send as, may not send as, may reply to) of a user, by the policy.
async fn permissions_of(
    store: &dyn Store,
    t: TenantId,
    u: UserId,
) -> anyhow::Result<(Vec<String>, Vec<String>, Vec<String>)> {
    let snap = permissions::snapshot(store, t, u).await.map_err(err)?;
    let book = sendas_core::service::ownership::book(store, t).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let all = mailboxes::all_mailboxes(store, t).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut send = Vec::new();
    let mut not_send = Vec::new();
    let mut reply = Vec::new();
    for m in &all {
        let address = m.address.to_string();
        if may_use(&snap.tenant, &snap.user, m, book.of(m), Usage::From).is_allowed() {
            send.push(address.clone());
        } else {
            not_send.push(address.clone());
        }
        if may_use(&snap.tenant, &snap.user, m, book.of(m), Usage::ReplyTo).is_allowed() {
            reply.push(address);
        }
    }
    Ok((send, not_send, reply))
}
