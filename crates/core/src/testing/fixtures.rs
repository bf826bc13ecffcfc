//! Builders of valid model values for tests: short to call, unique ids.

use crate::model::{
    AccessList, ApiToken, AuditOutcome, AuditRecord, Company, Group, Login, Mailbox, MailboxFlags, MailboxScope, Name,
    Role, SmtpCredential, Tenant, User,
};
use crate::ports::NewTenant;
use crate::secret::SecretHash;
use crate::{AuditId, CompanyId, CredentialId, EmailAddress, GroupId, MailboxId, TenantId, Timestamp, TokenId, UserId};
use std::collections::BTreeSet;

/// A name that is known to be valid.
pub fn name(s: &str) -> Name {
    Name::parse(s).unwrap_or_else(|e| panic!("fixture name {s:?}: {e}"))
}

/// An address that is known to be valid.
pub fn address(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap_or_else(|e| panic!("fixture address {s:?}: {e}"))
}

/// A login that is known to be valid.
pub fn login(s: &str) -> Login {
    Login::parse(s).unwrap_or_else(|e| panic!("fixture login {s:?}: {e}"))
}

/// A new tenant bundle with quota `quota` and system address `system@<domain>`.
pub fn new_tenant(domain: &str, quota: u32) -> NewTenant {
    let tenant = Tenant {
        limits: Default::default(),
        id: TenantId::generate(),
        name: name(domain),
        enabled: true,
        mailbox_quota: quota,
        created_at: Timestamp::now(),
        allow_executable_attachments: false,
    };
    let company =
        Company { tenant_id: tenant.id, id: CompanyId::generate(), name: name("HQ"), created_at: Timestamp::now() };
    let mut system_mailbox = mailbox(tenant.id, &format!("system@{domain}"), MailboxScope::Global);
    system_mailbox.system = true;
    let admin_token = token(Role::Admin { tenant_id: tenant.id });
    NewTenant { tenant, company, system_mailbox, admin_token, domains: vec![] }
}

/// [`new_tenant`] with `domain` assigned to it (its mailboxes there are owned).
pub fn new_tenant_owning(domain: &str, quota: u32) -> NewTenant {
    let mut new = new_tenant(domain, quota);
    let name = crate::DomainName::parse(domain).unwrap_or_else(|e| panic!("fixture domain {domain:?}: {e}"));
    let claim = crate::service::domains::assigned(new.tenant.id, name, Timestamp::now());
    new.domains = vec![claim.unwrap_or_else(|e| panic!("fixture claim: {e}"))];
    new
}

/// An enabled sender+reply mailbox, not restricted, without SMTP settings.
pub fn mailbox(tenant: TenantId, addr: &str, scope: MailboxScope) -> Mailbox {
    Mailbox {
        display_name_policy: Default::default(),
        limits: Default::default(),
        tenant_id: tenant,
        id: MailboxId::generate(),
        address: address(addr),
        display_name: name(addr),
        scope,
        flags: MailboxFlags { sender: true, reply: true, restricted: false, enabled: true },
        smtp: None,
        access: AccessList::default(),
        system: false,
        created_at: Timestamp::now(),
        version: 1,
    }
}

/// A company.
pub fn company(tenant: TenantId, n: &str) -> Company {
    Company { tenant_id: tenant, id: CompanyId::generate(), name: name(n), created_at: Timestamp::now() }
}

/// A group.
pub fn group(tenant: TenantId, n: &str) -> Group {
    Group {
        tenant_id: tenant,
        id: GroupId::generate(),
        name: name(n),
        created_at: Timestamp::now(),
        version: 1,
        deleting: false,
    }
}

/// An enabled user in the given companies.
pub fn user(tenant: TenantId, l: &str, companies: &[CompanyId]) -> User {
    User {
        limits: Default::default(),
        tenant_id: tenant,
        id: UserId::generate(),
        login: login(l),
        name: name(l),
        companies: companies.iter().copied().collect(),
        groups: BTreeSet::new(),
        enabled: true,
        created_at: Timestamp::now(),
        version: 1,
    }
}

/// A token record whose secret is `secret-<id>`.
pub fn token(role: Role) -> ApiToken {
    let id = TokenId::generate();
    ApiToken {
        id,
        role,
        name: name("t"),
        hash: SecretHash::of(&format!("secret-{id}")),
        created_at: Timestamp::now(),
        issued_by: None,
    }
}

/// A credential record for `password`.
pub fn credential(user: &User, password: &str) -> SmtpCredential {
    SmtpCredential {
        tenant_id: user.tenant_id,
        user_id: user.id,
        id: CredentialId::generate(),
        name: name("mail client"),
        hash: SecretHash::of(password),
        created_at: Timestamp::now(),
        issued_by: Some(crate::model::Issuer::User),
    }
}

/// An accepted audit record at `at` that expires a day later.
pub fn audit(tenant: TenantId, at: Timestamp, mailbox: Option<MailboxId>) -> AuditRecord {
    AuditRecord {
        tenant_id: tenant,
        id: AuditId::generate(),
        at,
        user_id: Some(UserId::generate()),
        mailbox_id: mailbox,
        sending_address: Some(address("a@tenant.example")),
        envelope_sender: Some("a@tenant.example".into()),
        recipients: 2,
        message_id: Some("<m@tenant.example>".into()),
        size: 1234,
        outcome: AuditOutcome::Accepted,
        smtp_code: 250,
        smtp_reply: "2.0.0 queued".into(),
        upstream_reply: Some("250 2.0.0 Ok: queued as ABC".into()),
        expires_at: at.plus(std::time::Duration::from_secs(86_400)),
        channel: crate::model::AuditChannel::Smtp,
        credential: None,
    }
}

/// An enabled global template without presets; its variables found from the sources.
pub fn template(tenant: TenantId, subject: &str, text: &str, html: Option<&str>) -> crate::model::Template {
    use crate::render::{Part, variables_of};
    let mut variables = variables_of(Part::Subject, subject).unwrap_or_default();
    variables.extend(variables_of(Part::Text, text).unwrap_or_default());
    if let Some(h) = html {
        variables.extend(variables_of(Part::Html, h).unwrap_or_default());
    }
    crate::model::Template {
        tenant_id: tenant,
        id: crate::TemplateId::generate(),
        name: name("Template"),
        scope: MailboxScope::Global,
        subject: subject.to_owned(),
        text_body: text.to_owned(),
        html_body: html.map(str::to_owned),
        variables,
        from_mailbox: None,
        reply_to_mailbox: None,
        enabled: true,
        created_at: Timestamp::now(),
        version: 1,
    }
}
