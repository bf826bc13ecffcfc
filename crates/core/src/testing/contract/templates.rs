//! Contract case: templates are created, read, listed, replaced and
//! deleted at the version read, and stay within their tenant.

use super::{Backend, ok};
use crate::error::StoreError;
use crate::model::Template;
use crate::ports::PageRequest;
use crate::testing::fixtures::*;

/// Templates round-trip, versioned, per tenant.
pub async fn templates_round_trip(b: Backend) {
    let s = &*b.store;
    let (a, other) = (new_tenant("tpl-a.example", 1), new_tenant("tpl-b.example", 1));
    ok(s.create_tenant(&a).await, "a");
    ok(s.create_tenant(&other).await, "b");
    let t = a.tenant.id;
    let mut first = template(t, "Hello {{ name }}", "Dear {{ name }},", Some("<p>{{ name }}</p>"));
    first.from_mailbox = Some(a.system_mailbox.id);
    ok(s.create_template(&first).await, "create");
    assert!(matches!(s.create_template(&first).await, Err(StoreError::Conflict(_))));
    assert_eq!(ok(s.get_template(t, first.id).await, "get"), first);
    let second = template(t, "Second", "body", None);
    ok(s.create_template(&second).await, "second");
    let page = ok(s.list_templates(t, &PageRequest::new(1, None)).await, "page 1");
    assert_eq!(page.items, vec![first.clone()]);
    let page = ok(s.list_templates(t, &PageRequest::new(1, page.next)).await, "page 2");
    assert_eq!((page.items, page.next), (vec![second.clone()], None));

    let renamed = Template { subject: "Hi {{ name }}".into(), version: 2, ..first.clone() };
    ok(s.update_template(&first, &renamed).await, "update");
    assert_eq!(ok(s.get_template(t, first.id).await, "after update"), renamed);
    let lost = Template { subject: "Lost".into(), version: 2, ..first.clone() };
    assert_eq!(s.update_template(&first, &lost).await, Err(StoreError::VersionMismatch), "stale update");
    assert_eq!(s.delete_template(&first).await, Err(StoreError::VersionMismatch), "stale delete");

    assert_eq!(s.get_template(other.tenant.id, first.id).await, Err(StoreError::NotFound), "another tenant's");
    assert!(ok(s.list_templates(other.tenant.id, &PageRequest::first()).await, "b's list").items.is_empty());
    let foreign = Template { tenant_id: other.tenant.id, ..renamed.clone() };
    assert_eq!(s.delete_template(&foreign).await, Err(StoreError::NotFound), "delete through another tenant");

    ok(s.delete_template(&renamed).await, "delete");
    assert_eq!(s.get_template(t, first.id).await, Err(StoreError::NotFound));
    assert_eq!(s.delete_template(&renamed).await, Err(StoreError::NotFound), "deleted twice");
    assert_eq!(s.update_template(&renamed, &renamed).await, Err(StoreError::NotFound), "update of a deleted one");
}
