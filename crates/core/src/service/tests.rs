//! Use-case tests on the in-memory store: roles, quota, secrets, AUTH, dropdowns.

use super::credentials::{self, AuthFailure};
use super::edit::IfMatch;
use super::mailboxes::{self, MailboxInput};
use super::tenants::{self, CreateTenant, CreatedTenant};
use super::{directory, permissions, settings, tokens};
use crate::error::ServiceError;
use crate::model::{Group, MailboxFlags, MailboxScope, Role, SmtpSettings, SystemRelay, TlsMode};
use crate::ports::{GroupStore, PageRequest, SecretRef, SecretStore};
use crate::secret::{ExposeSecret, SecretString};
use crate::testing::{MemorySecretStore, MemoryStore};
use std::collections::BTreeSet;

const OP: Role = Role::Operator;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

async fn tenant(store: &MemoryStore, domain: &str) -> CreatedTenant {
    let input = CreateTenant {
        name: domain.into(),
        company_name: None,
        system_address: format!("system@{domain}"),
        mailbox_quota: None,
        domains: vec![domain.into()],
    };
    tenants::create(store, &OP, input).await.expect("create tenant")
}

fn flags() -> MailboxFlags {
    MailboxFlags { sender: true, reply: true, restricted: false, enabled: true }
}

fn input(address: &str, scope: MailboxScope) -> MailboxInput {
    MailboxInput {
        display_name_policy: Default::default(),
        limits: Default::default(),
        address: address.into(),
        display_name: address.into(),
        scope,
        flags: flags(),
        smtp: None,
    }
}

#[test]
fn only_the_operator_creates_tenants_and_sets_quotas() {
    rt().block_on(async {
        let store = MemoryStore::new();
        let t = tenant(&store, "acme.example").await;
        let admin = Role::Admin { tenant_id: t.tenant.id };
        assert_eq!(t.tenant.mailbox_quota, 1);
        assert!(t.system_mailbox.system && t.system_mailbox.global() && t.system_mailbox.flags.sender);
        let role = tokens::authenticate(&store, t.admin_token.text.expose_secret()).await.map(|t| t.role);
        assert_eq!(role, Ok(admin));
        let again = CreateTenant {
            name: "x".into(),
            company_name: None,
            system_address: "s@x.example".into(),
            mailbox_quota: None,
            domains: vec!["x.example".into()],
        };
        assert!(matches!(tenants::create(&store, &admin, again).await, Err(ServiceError::Forbidden(_))));
        assert!(matches!(tenants::set_quota(&store, &admin, t.tenant.id, 5).await, Err(ServiceError::Forbidden(_))));
        assert_eq!(tenants::set_quota(&store, &OP, t.tenant.id, 5).await.map(|t| t.mailbox_quota), Ok(5));
        let bad = CreateTenant {
            name: " ".into(),
            company_name: None,
            system_address: "s@x.example".into(),
            mailbox_quota: None,
            domains: vec!["x.example".into()],
        };
        assert!(matches!(tenants::create(&store, &OP, bad).await, Err(ServiceError::Validation { field: "name", .. })));
    });
}

#[test]
fn quota_exceeded_says_to_ask_the_operator_and_raising_it_helps() {
    rt().block_on(async {
        let store = MemoryStore::new();
        let t = tenant(&store, "q.example").await;
        let admin = Role::Admin { tenant_id: t.tenant.id };
        mailboxes::create(&store, &admin, t.tenant.id, input("one@q.example", MailboxScope::Global))
            .await
            .expect("first");
        let err = mailboxes::create(&store, &admin, t.tenant.id, input("two@q.example", MailboxScope::Global)).await;
        assert_eq!(err, Err(ServiceError::QuotaExceeded));
        assert!(ServiceError::QuotaExceeded.to_string().contains("ask the operator"));
        tenants::set_quota(&store, &OP, t.tenant.id, 2).await.expect("raise");
        mailboxes::create(&store, &admin, t.tenant.id, input("two@q.example", MailboxScope::Global))
            .await
            .expect("now fits");
    });
}

#[test]
fn another_tenants_resources_are_not_found_and_users_are_forbidden() {
    rt().block_on(async {
        let store = MemoryStore::new();
        let (a, b) = (tenant(&store, "a.example").await, tenant(&store, "b.example").await);
        let admin_b = Role::Admin { tenant_id: b.tenant.id };
        let got = mailboxes::get(&store, &admin_b, a.tenant.id, a.system_mailbox.id).await;
        assert_eq!(got, Err(ServiceError::NotFound));
        assert_eq!(tenants::get(&store, &admin_b, a.tenant.id).await, Err(ServiceError::NotFound));
        let admin_a = Role::Admin { tenant_id: a.tenant.id };
        let user = directory::create_user(
            &store,
            &admin_a,
            a.tenant.id,
            directory::CreateUser {
                limits: Default::default(),
                login: "ua".into(),
                name: "U A".into(),
                companies: BTreeSet::from([a.company.id]),
                groups: BTreeSet::new(),
            },
        )
        .await
        .expect("user");
        let as_user = Role::User { tenant_id: a.tenant.id, user_id: user.id };
        let listed = mailboxes::list(&store, &as_user, a.tenant.id, &PageRequest::first()).await;
        assert!(matches!(listed, Err(ServiceError::Forbidden(_))));
        assert!(matches!(
            mailboxes::list(&store, &OP, a.tenant.id, &PageRequest::first()).await,
            Err(ServiceError::Forbidden(_))
        ));
    });
}

#[test]
fn the_system_mailbox_is_never_deleted_or_restricted() {
    rt().block_on(async {
        let (store, secrets) = (MemoryStore::new(), MemorySecretStore::default());
        let t = tenant(&store, "sys.example").await;
        let admin = Role::Admin { tenant_id: t.tenant.id };
        let id = t.system_mailbox.id;
        assert!(matches!(
            mailboxes::delete(&store, &secrets, &admin, t.tenant.id, id).await,
            Err(ServiceError::Conflict(_))
        ));
        let restrict = mailboxes::set_access(
            &store,
            &admin,
            t.tenant.id,
            id,
            true,
            BTreeSet::new(),
            BTreeSet::new(),
            &IfMatch::Any,
        )
        .await;
        assert!(matches!(restrict, Err(ServiceError::Validation { field: "restricted", .. })));
        let mut change = input("system@sys.example", MailboxScope::Company(t.company.id));
        let scoped = mailboxes::update(&store, &secrets, &admin, t.tenant.id, id, change.clone(), &IfMatch::Any).await;
        assert!(matches!(scoped, Err(ServiceError::Validation { .. })));
        change.scope = MailboxScope::Global;
        change.display_name = "Renamed".into();
        let renamed = mailboxes::update(&store, &secrets, &admin, t.tenant.id, id, change, &IfMatch::Any)
            .await
            .expect("rename is fine");
        assert_eq!(renamed.display_name.as_str(), "Renamed");
    });
}

#[test]
fn mailbox_passwords_go_to_the_secret_store_only() {
    rt().block_on(async {
        let (store, secrets) = (MemoryStore::new(), MemorySecretStore::default());
        let t = tenant(&store, "pw.example").await;
        let admin = Role::Admin { tenant_id: t.tenant.id };
        let mut i = input("auth@pw.example", MailboxScope::Global);
        i.smtp = Some(SmtpSettings::new("smtp.pw.example", 587, TlsMode::Starttls, "auth@pw.example").expect("smtp"));
        let m = mailboxes::create(&store, &admin, t.tenant.id, i).await.expect("create");
        let password = SecretString::from("s3cr3t-mailbox-password");
        let updated =
            mailboxes::set_password(&store, &secrets, &admin, t.tenant.id, m.id, &password).await.expect("set");
        assert!(updated.smtp.as_ref().is_some_and(|s| s.password_set));
        let stored = secrets.get_secret(&SecretRef::mailbox(t.tenant.id, m.id)).await.expect("get").expect("stored");
        let settings = updated.smtp.as_ref().expect("smtp");
        let opened = crate::model::BoundSecret::open(settings, &stored).expect("bound to the mailbox's settings");
        assert_eq!(opened.expose_secret(), "s3cr3t-mailbox-password");
        let read = mailboxes::get(&store, &admin, t.tenant.id, m.id).await.expect("read back");
        assert!(!format!("{read:?}").contains("s3cr3t"));
        mailboxes::delete(&store, &secrets, &admin, t.tenant.id, m.id).await.expect("delete");
        assert!(secrets.get_secret(&SecretRef::mailbox(t.tenant.id, m.id)).await.expect("get").is_none());
        let plain =
            mailboxes::set_password(&store, &secrets, &admin, t.tenant.id, t.system_mailbox.id, &password).await;
        assert!(matches!(plain, Err(ServiceError::Validation { field: "smtp", .. })));
    });
}

/// SPEC §3: a secret is bound to its endpoint. Any change of host, port, TLS mode, username or
/// login method forgets it (in the service, whatever client calls); other edits keep it.
#[test]
fn a_login_secret_is_forgotten_when_its_endpoint_changes() {
    rt().block_on(async {
        let (store, secrets) = (MemoryStore::new(), MemorySecretStore::default());
        let t = tenant(&store, "bound.example").await;
        let admin = Role::Admin { tenant_id: t.tenant.id };
        let original =
            SmtpSettings::new("smtp.bound.example", 587, TlsMode::Starttls, "desk@bound.example").expect("smtp");
        let mut i = input("desk@bound.example", MailboxScope::Global);
        i.smtp = Some(original.clone());
        let m = mailboxes::create(&store, &admin, t.tenant.id, i.clone()).await.expect("create");
        let name = SecretRef::mailbox(t.tenant.id, m.id);
        let oauth = original
            .clone()
            .with_login(crate::model::LoginMethod::OAuth2ClientCredentials {
                token_url: "https://login.microsoftonline.com/t/oauth2/v2.0/token".into(),
                client_id: "c".into(),
                scope: "https://outlook.office365.com/.default".into(),
            })
            .expect("oauth");
        let moved = [
            SmtpSettings::new("evil.example.net", 587, TlsMode::Starttls, "desk@bound.example").expect("host"),
            SmtpSettings::new("smtp.bound.example", 2525, TlsMode::Starttls, "desk@bound.example").expect("port"),
            SmtpSettings::new("smtp.bound.example", 587, TlsMode::Tls, "desk@bound.example").expect("tls"),
            SmtpSettings::new("smtp.bound.example", 587, TlsMode::Starttls, "other@bound.example").expect("user"),
            oauth,
        ];
        for settings in moved {
            let pw = SecretString::from("given-for-the-original");
            let set = mailboxes::set_password(&store, &secrets, &admin, t.tenant.id, m.id, &pw).await.expect("set");
            assert!(set.smtp.as_ref().is_some_and(|s| s.password_set));
            // An edit that leaves the endpoint as it is keeps the secret.
            let mut same = i.clone();
            same.display_name = "Renamed desk".into();
            let kept = mailboxes::update(&store, &secrets, &admin, t.tenant.id, m.id, same, &IfMatch::Any).await;
            assert!(kept.expect("rename").smtp.is_some_and(|s| s.password_set), "a rename keeps the secret");
            assert!(secrets.get_secret(&name).await.expect("get").is_some());
            let mut change = i.clone();
            change.smtp = Some(settings.clone());
            let changed = mailboxes::update(&store, &secrets, &admin, t.tenant.id, m.id, change, &IfMatch::Any)
                .await
                .expect("change");
            assert!(changed.smtp.as_ref().is_some_and(|s| !s.password_set), "{settings:?}: password_set stays true");
            assert!(secrets.get_secret(&name).await.expect("get").is_none(), "{settings:?}: the secret was kept");
            // Back to the original endpoint: still nothing, until the admin gives it again.
            let back = mailboxes::update(&store, &secrets, &admin, t.tenant.id, m.id, i.clone(), &IfMatch::Any)
                .await
                .expect("back");
            assert!(back.smtp.is_some_and(|s| !s.password_set));
        }
        // Taking the SMTP settings away forgets the secret too.
        mailboxes::set_password(&store, &secrets, &admin, t.tenant.id, m.id, &"pw".to_owned().into())
            .await
            .expect("set");
        let mut none = i.clone();
        none.smtp = None;
        mailboxes::update(&store, &secrets, &admin, t.tenant.id, m.id, none, &IfMatch::Any).await.expect("unauth");
        assert!(secrets.get_secret(&name).await.expect("get").is_none());
    });
}

#[test]
fn smtp_auth_accepts_only_live_credentials_of_enabled_users_and_tenants() {
    rt().block_on(async {
        let store = MemoryStore::new();
        let t = tenant(&store, "auth.example").await;
        let admin = Role::Admin { tenant_id: t.tenant.id };
        let u = directory::create_user(
            &store,
            &admin,
            t.tenant.id,
            directory::CreateUser {
                limits: Default::default(),
                login: "Carol".into(),
                name: "Carol".into(),
                companies: BTreeSet::from([t.company.id]),
                groups: BTreeSet::new(),
            },
        )
        .await
        .expect("user");
        let me = Role::User { tenant_id: t.tenant.id, user_id: u.id };
        let issued = credentials::issue(&store, &me, t.tenant.id, u.id, "laptop").await.expect("issue");
        let pw = issued.password.expose_secret().to_owned();
        assert!(!format!("{issued:?}").contains(&pw));
        assert_eq!(
            credentials::authenticate(&store, "carol", &pw).await.map(|(_, u)| u.login.to_string()),
            Ok("carol".into())
        );
        assert_eq!(credentials::authenticate(&store, "carol", "wrong").await.err(), Some(AuthFailure::Invalid));
        assert_eq!(credentials::authenticate(&store, "nobody", &pw).await.err(), Some(AuthFailure::Invalid));
        assert_eq!(credentials::authenticate(&store, "bad login!", &pw).await.err(), Some(AuthFailure::Invalid));
        let off = directory::UpdateUser { enabled: Some(false), ..Default::default() };
        directory::update_user(&store, &admin, t.tenant.id, u.id, off, &IfMatch::Any).await.expect("disable");
        assert_eq!(credentials::authenticate(&store, "carol", &pw).await.err(), Some(AuthFailure::Invalid));
        let on = directory::UpdateUser { enabled: Some(true), ..Default::default() };
        directory::update_user(&store, &admin, t.tenant.id, u.id, on, &IfMatch::Any).await.expect("enable");
        tenants::set_enabled(&store, &OP, t.tenant.id, false).await.expect("disable tenant");
        assert_eq!(credentials::authenticate(&store, "carol", &pw).await.err(), Some(AuthFailure::Invalid));
        tenants::set_enabled(&store, &OP, t.tenant.id, true).await.expect("enable tenant");
        credentials::revoke(&store, &me, t.tenant.id, u.id, issued.credential.id).await.expect("revoke");
        assert_eq!(credentials::authenticate(&store, "carol", &pw).await.err(), Some(AuthFailure::Invalid));
    });
}

#[test]
fn api_tokens_stop_working_when_revoked_or_their_tenant_is_disabled() {
    rt().block_on(async {
        let store = MemoryStore::new();
        let t = tenant(&store, "tok.example").await;
        let admin = Role::Admin { tenant_id: t.tenant.id };
        let second = tokens::issue(&store, &admin, admin, "second").await.expect("issue");
        let text = second.text.expose_secret().to_owned();
        assert_eq!(tokens::authenticate(&store, &text).await.map(|t| t.role), Ok(admin));
        assert_eq!(tokens::authenticate(&store, &text.replace('a', "b")).await.err(), Some(ServiceError::Unauthorized));
        assert!(matches!(tokens::issue(&store, &admin, OP, "escalate").await, Err(ServiceError::Forbidden(_))));
        tenants::set_enabled(&store, &OP, t.tenant.id, false).await.expect("disable");
        assert_eq!(tokens::authenticate(&store, &text).await.err(), Some(ServiceError::Unauthorized));
        tenants::set_enabled(&store, &OP, t.tenant.id, true).await.expect("enable");
        tokens::revoke(&store, &admin, second.token.id).await.expect("revoke");
        assert_eq!(tokens::authenticate(&store, &text).await.err(), Some(ServiceError::Unauthorized));
        assert_eq!(tokens::authenticate(&store, "").await.err(), Some(ServiceError::Unauthorized));
    });
}

#[test]
fn dropdowns_follow_groups_and_cost_six_store_requests() {
    rt().block_on(async {
        let store = MemoryStore::new();
        let t = tenant(&store, "dd.example").await;
        let tid = t.tenant.id;
        let admin = Role::Admin { tenant_id: tid };
        tenants::set_quota(&store, &OP, tid, 10).await.expect("quota");
        let sales = directory::create_group(&store, &admin, tid, "Sales").await.expect("group");
        let mk = |login: &str| directory::CreateUser {
            limits: Default::default(),
            login: login.into(),
            name: login.into(),
            companies: BTreeSet::from([t.company.id]),
            groups: BTreeSet::new(),
        };
        let alice = directory::create_user(&store, &admin, tid, mk("alice")).await.expect("alice");
        let bob = directory::create_user(&store, &admin, tid, mk("bob")).await.expect("bob");
        directory::set_membership(&store, &admin, tid, sales.id, alice.id, true).await.expect("member");
        let restricted =
            mailboxes::create(&store, &admin, tid, input("sales@dd.example", MailboxScope::Global)).await.expect("m");
        mailboxes::set_access(
            &store,
            &admin,
            tid,
            restricted.id,
            true,
            BTreeSet::new(),
            BTreeSet::from([sales.id]),
            &IfMatch::Any,
        )
        .await
        .expect("grant");
        let mut reply_only = input("noreply@dd.example", MailboxScope::Company(t.company.id));
        reply_only.flags.sender = false;
        mailboxes::create(&store, &admin, tid, reply_only).await.expect("reply only");

        let before = store.requests();
        let snap = permissions::snapshot(&store, tid, alice.id).await.expect("snapshot");
        assert_eq!(
            store.requests() - before,
            8,
            "tenant + user + one page each of mailboxes, users and (alice is in a group) groups, and rule 0: \
             one page of domain claims, the confirmations, the platform domains"
        );
        let from: Vec<_> = snap.usable.from.iter().map(|m| m.address.to_string()).collect();
        let reply: Vec<_> = snap.usable.reply_to.iter().map(|m| m.address.to_string()).collect();
        assert!(from.contains(&"sales@dd.example".to_string()) && from.contains(&"system@dd.example".to_string()));
        assert!(!from.contains(&"noreply@dd.example".to_string()));
        assert!(reply.contains(&"noreply@dd.example".to_string()));

        let me = Role::User { tenant_id: tid, user_id: bob.id };
        let before = store.requests();
        let bobs = permissions::usable_by(&store, &me, tid, bob.id).await.expect("bob's dropdowns");
        assert_eq!(
            store.requests() - before,
            6,
            "the dropdowns: tenant + user + one page of mailboxes + rule 0's three"
        );
        assert!(bobs.from.iter().all(|m| m.address.as_str() != "sales@dd.example"));
        assert!(matches!(permissions::usable_by(&store, &me, tid, alice.id).await, Err(ServiceError::Forbidden(_))));

        // A group whose deletion has begun (marked, its references not all removed yet) grants nothing.
        let marked = Group { deleting: true, version: sales.version + 1, ..sales.clone() };
        store.update_group(&sales, &marked).await.expect("mark deleting");
        let snap = permissions::snapshot(&store, tid, alice.id).await.expect("snapshot");
        assert!(snap.usable.from.iter().all(|m| m.address.as_str() != "sales@dd.example"), "a deleting group granted");
        assert!(snap.user.groups.is_empty(), "the snapshot's user keeps only groups that grant");
        let stored = directory::get_user(&store, &admin, tid, alice.id).await.expect("alice");
        assert!(stored.groups.contains(&sales.id), "the membership is still stored: only the grant is gone");

        directory::delete_group(&store, &admin, tid, sales.id, &IfMatch::Any).await.expect("delete group");
        let alice_after = directory::get_user(&store, &admin, tid, alice.id).await.expect("alice");
        assert!(alice_after.groups.is_empty());
        let m_after = mailboxes::get(&store, &admin, tid, restricted.id).await.expect("mailbox");
        assert!(m_after.access.groups.is_empty());
        let members = directory::group_members(&store, &admin, tid, sales.id).await;
        assert_eq!(members.err(), Some(ServiceError::NotFound));
    });
}

#[test]
fn users_need_existing_companies_of_their_tenant() {
    rt().block_on(async {
        let store = MemoryStore::new();
        let (a, b) = (tenant(&store, "ca.example").await, tenant(&store, "cb.example").await);
        let admin = Role::Admin { tenant_id: a.tenant.id };
        let foreign = directory::CreateUser {
            limits: Default::default(),
            login: "dora".into(),
            name: "Dora".into(),
            companies: BTreeSet::from([b.company.id]),
            groups: BTreeSet::new(),
        };
        let err = directory::create_user(&store, &admin, a.tenant.id, foreign).await;
        assert!(matches!(err, Err(ServiceError::Validation { field: "companies", .. })));
        let none = directory::CreateUser {
            limits: Default::default(),
            login: "dora".into(),
            name: "Dora".into(),
            companies: BTreeSet::new(),
            groups: BTreeSet::new(),
        };
        assert!(matches!(
            directory::create_user(&store, &admin, a.tenant.id, none).await,
            Err(ServiceError::Validation { .. })
        ));
    });
}

#[test]
fn the_system_relay_password_is_stored_as_a_secret() {
    rt().block_on(async {
        let (store, secrets) = (MemoryStore::new(), MemorySecretStore::default());
        let relay = SystemRelay::Smtp {
            host: "Email-SMTP.example.com".into(),
            port: 587,
            tls: TlsMode::Starttls,
            username: Some("AKIA".into()),
            password_set: false,
        };
        let saved = settings::set_system_relay(&store, &secrets, &OP, relay, Some(SecretString::from("relay-pw")))
            .await
            .expect("set");
        assert!(
            matches!(saved, SystemRelay::Smtp { password_set: true, ref host, .. } if host == "email-smtp.example.com")
        );
        assert!(secrets.get_secret(&SecretRef::system_relay()).await.expect("get").is_some());
        assert!(!format!("{saved:?}").contains("relay-pw"));
        let cleartext = SystemRelay::Smtp {
            host: "relay.example.com".into(),
            port: 25,
            tls: TlsMode::None,
            username: None,
            password_set: false,
        };
        let refused = settings::set_system_relay(&store, &secrets, &OP, cleartext, None).await;
        assert!(matches!(refused, Err(ServiceError::Validation { field: "smtp.tls", .. })));
        let admin = Role::Admin { tenant_id: crate::TenantId::generate() };
        assert!(matches!(settings::system_relay(&store, &admin).await, Err(ServiceError::Forbidden(_))));
        let outbox = SystemRelay::Outbox { dir: "/tmp/outbox".into() };
        settings::set_system_relay(&store, &secrets, &OP, outbox, None).await.expect("outbox");
        assert!(secrets.get_secret(&SecretRef::system_relay()).await.expect("get").is_none());
    });
}

#[test]
fn debug_output_of_everything_holding_a_secret_hides_it() {
    rt().block_on(async {
        let (store, secrets) = (MemoryStore::new(), MemorySecretStore::default());
        let t = tenant(&store, "dbg.example").await;
        let admin = Role::Admin { tenant_id: t.tenant.id };
        let token_text = t.admin_token.text.expose_secret().to_owned();
        let u = directory::create_user(
            &store,
            &admin,
            t.tenant.id,
            directory::CreateUser {
                limits: Default::default(),
                login: "eve".into(),
                name: "Eve".into(),
                companies: BTreeSet::from([t.company.id]),
                groups: BTreeSet::new(),
            },
        )
        .await
        .expect("user");
        let cred = credentials::issue(&store, &admin, t.tenant.id, u.id, "phone").await.expect("cred");
        let app_password = cred.password.expose_secret().to_owned();
        let mailbox_pw = SecretString::from("mailbox-password-xyz");
        secrets.put_secret(&SecretRef::mailbox(t.tenant.id, t.system_mailbox.id), &mailbox_pw).await.expect("put");
        let read_back = secrets.get_secret(&SecretRef::mailbox(t.tenant.id, t.system_mailbox.id)).await.expect("get");
        let stored_tokens = store.list_tokens(Some(t.tenant.id), &PageRequest::first()).await.expect("tokens");
        let stored_creds = store.list_credentials(t.tenant.id, u.id).await.expect("creds");
        let shown = format!("{t:?}\n{cred:?}\n{mailbox_pw:?}\n{read_back:?}\n{stored_tokens:?}\n{stored_creds:?}");
        for secret in [token_text.as_str(), app_password.as_str(), "mailbox-password-xyz"] {
            assert!(!shown.contains(secret), "a secret leaked into Debug output");
        }
        let hash_hex = stored_creds[0].hash.to_hex();
        assert!(!shown.contains(&hash_hex), "hashes stay out of Debug output too");
    });
}

use crate::ports::{CredentialStore, TokenStore};

#[test]
fn the_upgrade_report_flags_a_domain_two_tenants_use() {
    rt().block_on(async {
        let store = MemoryStore::new();
        let a = tenant(&store, "ua.example").await;
        let b = tenant(&store, "ub.example").await;
        tenants::set_quota(&store, &OP, a.tenant.id, 5).await.expect("quota");
        for (t, address) in [(&a, "x@shared.example"), (&b, "y@shared.example"), (&a, "z@ua.example")] {
            let admin = Role::Admin { tenant_id: t.tenant.id };
            mailboxes::create(&store, &admin, t.tenant.id, input(address, MailboxScope::Global))
                .await
                .expect("mailbox");
        }
        let admin = Role::Admin { tenant_id: a.tenant.id };
        assert!(matches!(super::upgrade::ownership_report(&store, &admin).await, Err(ServiceError::Forbidden(_))));
        let (report, shared) = super::upgrade::ownership_report(&store, &OP).await.expect("report");
        assert_eq!(shared.iter().map(|d| d.as_str()).collect::<Vec<_>>(), ["shared.example"]);
        let of_a = report.iter().find(|t| t.tenant_id == a.tenant.id).expect("a");
        let uses: Vec<_> = of_a.domains.iter().map(|u| (u.domain.as_str(), u.mailboxes, u.owned, u.shared)).collect();
        assert_eq!(uses, [("shared.example", 1, 0, true), ("ua.example", 2, 2, false)], "system@ and z@ are owned");
    });
}
