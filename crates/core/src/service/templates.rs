//! Message templates: admins keep them (versioned, like mailboxes); a user
//! lists the ones offered to it (`policy::template_offered`).

use super::edit::{IfMatch, retry_raced};
use super::{parse_name, require_admin, require_admin_or_self};
use crate::error::{ServiceError, StoreError};
use crate::model::{MailboxScope, Role, Template};
use crate::policy::template_offered;
use crate::ports::{Page, PageRequest, Store};
use crate::render::{Part, RenderError, variables_of};
use crate::{MailboxId, TemplateId, TenantId, Timestamp, UserId};

/// What an admin writes (creation and full replacement).
#[derive(Debug, Clone)]
pub struct TemplateInput {
    /// Its name.
    pub name: String,
    /// Global, or one company's.
    pub scope: MailboxScope,
    /// Subject source.
    pub subject: String,
    /// Text body source.
    pub text_body: String,
    /// HTML body source.
    pub html_body: Option<String>,
    /// Preset From mailbox (must be a sender mailbox of the tenant).
    pub from_mailbox: Option<MailboxId>,
    /// Preset Reply-To mailbox (must be a reply mailbox of the tenant).
    pub reply_to_mailbox: Option<MailboxId>,
    /// Offered at all.
    pub enabled: bool,
}

impl From<RenderError> for ServiceError {
    fn from(e: RenderError) -> Self {
        match e {
            RenderError::Invalid { field, reason } => ServiceError::invalid(field, reason),
            RenderError::Missing(name) => {
                ServiceError::invalid("variables", format!("{name}: missing; the template uses it"))
            }
            RenderError::TooBig { field } => {
                ServiceError::invalid(field, "the rendered text is too long or takes too much work")
            }
            RenderError::SubjectControl => {
                ServiceError::invalid("subject", "the rendered subject holds a line break or a control character")
            }
        }
    }
}

/// The checked fields of `input`, and the variables its sources use.
async fn validate(store: &dyn Store, tenant: TenantId, input: &TemplateInput) -> Result<Template, ServiceError> {
    let name = parse_name("name", &input.name)?;
    if let MailboxScope::Company(c) = input.scope {
        store.get_company(tenant, c).await.map_err(|e| match e {
            StoreError::NotFound => ServiceError::invalid("company_id", "no such company in this tenant"),
            other => other.into(),
        })?;
    }
    let mut variables = variables_of(Part::Subject, &input.subject)?;
    variables.extend(variables_of(Part::Text, &input.text_body)?);
    if let Some(html) = &input.html_body {
        variables.extend(variables_of(Part::Html, html)?);
    }
    for (field, id, ok_for) in [
        ("from_mailbox_id", input.from_mailbox, (|m| m.flags.sender) as fn(&crate::model::Mailbox) -> bool),
        ("reply_to_mailbox_id", input.reply_to_mailbox, |m| m.flags.reply),
    ] {
        let Some(id) = id else { continue };
        let mailbox = store.get_mailbox(tenant, id).await.map_err(|e| match e {
            StoreError::NotFound => ServiceError::invalid(field, "no such mailbox in this tenant"),
            other => other.into(),
        })?;
        if !ok_for(&mailbox) {
            return Err(ServiceError::invalid(field, "this mailbox may not be used there (sender / reply flag)"));
        }
    }
    Ok(Template {
        tenant_id: tenant,
        id: TemplateId::generate(),
        name,
        scope: input.scope,
        subject: input.subject.clone(),
        text_body: input.text_body.clone(),
        html_body: input.html_body.clone(),
        variables,
        from_mailbox: input.from_mailbox,
        reply_to_mailbox: input.reply_to_mailbox,
        enabled: input.enabled,
        created_at: Timestamp::now(),
        version: 1,
    })
}

/// Creates a template (admin).
pub async fn create(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    input: TemplateInput,
) -> Result<Template, ServiceError> {
    require_admin(caller, tenant)?;
    let template = validate(store, tenant, &input).await?;
    store.create_template(&template).await?;
    Ok(template)
}

/// One template (admin).
pub async fn get(store: &dyn Store, caller: &Role, tenant: TenantId, id: TemplateId) -> Result<Template, ServiceError> {
    require_admin(caller, tenant)?;
    Ok(store.get_template(tenant, id).await?)
}

/// The tenant's templates (admin).
pub async fn list(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    page: &PageRequest,
) -> Result<Page<Template>, ServiceError> {
    require_admin(caller, tenant)?;
    Ok(store.list_templates(tenant, page).await?)
}

/// Replaces a template's fields (admin); `if_match` pins the version replaced.
pub async fn update(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    id: TemplateId,
    input: TemplateInput,
    if_match: &IfMatch,
) -> Result<Template, ServiceError> {
    require_admin(caller, tenant)?;
    let fresh = validate(store, tenant, &input).await?;
    retry_raced(if_match, || async {
        let before = store.get_template(tenant, id).await?;
        if_match.check(before.version)?;
        let after = Template { id, created_at: before.created_at, version: before.version + 1, ..fresh.clone() };
        store.update_template(&before, &after).await?;
        Ok(after)
    })
    .await
}

/// Deletes a template (admin); `if_match` pins the version deleted.
pub async fn delete(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    id: TemplateId,
    if_match: &IfMatch,
) -> Result<(), ServiceError> {
    require_admin(caller, tenant)?;
    retry_raced(if_match, || async {
        let template = store.get_template(tenant, id).await?;
        if_match.check(template.version)?;
        Ok(store.delete_template(&template).await?)
    })
    .await
}

/// Every template of a tenant, read page by page.
pub async fn all_templates(store: &dyn Store, tenant: TenantId) -> Result<Vec<Template>, StoreError> {
    crate::ports::read_all(|page| async move { store.list_templates(tenant, &page).await }).await
}

/// The templates offered to a user: the user itself or an admin of its tenant.
pub async fn offered_to(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    user: UserId,
) -> Result<Vec<Template>, ServiceError> {
    require_admin_or_self(caller, tenant, user)?;
    let snapshot = super::permissions::snapshot(store, tenant, user).await?;
    let offered: Vec<Template> = all_templates(store, tenant)
        .await?
        .into_iter()
        .filter(|t| template_offered(t, &snapshot.user, &snapshot.usable))
        .collect();
    Ok(offered)
}
