//! Which templates a user is offered (SPEC §4): an enabled template of the
//! user's tenant, global or of one of the user's companies, whose preset
//! From and Reply-To mailboxes (where set) are among the user's usable
//! ones — the same rule as the dropdowns, so a template never offers what
//! sending it would refuse.

use super::UsableMailboxes;
use crate::model::{MailboxScope, Template, User};

/// Whether `template` is offered to `user`, whose usable mailboxes are `usable`.
pub fn template_offered(template: &Template, user: &User, usable: &UsableMailboxes) -> bool {
    let in_scope = match template.scope {
        MailboxScope::Global => true,
        MailboxScope::Company(c) => user.companies.contains(&c),
    };
    let from_ok = template.from_mailbox.is_none_or(|m| usable.from.iter().any(|x| x.id == m));
    let reply_ok = template.reply_to_mailbox.is_none_or(|m| usable.reply_to.iter().any(|x| x.id == m));
    template.enabled && template.tenant_id == user.tenant_id && in_scope && from_ok && reply_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CompanyId;
    use crate::testing::fixtures::{mailbox, new_tenant, template, user};

    /// Every combination of scope, presets, enabled and the user's rights.
    #[test]
    fn offered_exactly_when_every_part_allows_it() {
        let t = new_tenant("offer.example", 5);
        let tid = t.tenant.id;
        let (mine, other) = (t.company.id, CompanyId::generate());
        let u = user(tid, "offered", &[mine]);
        let (a, b) = (
            mailbox(tid, "a@offer.example", MailboxScope::Global),
            mailbox(tid, "b@offer.example", MailboxScope::Global),
        );
        let usable =
            UsableMailboxes { from: vec![a.clone()], reply_to: vec![a.clone(), b.clone()], ..Default::default() };
        for scope in [MailboxScope::Global, MailboxScope::Company(mine), MailboxScope::Company(other)] {
            for from in [None, Some(a.id), Some(b.id)] {
                for reply in [None, Some(a.id), Some(b.id)] {
                    for enabled in [true, false] {
                        let mut tpl = template(tid, "s", "t", None);
                        (tpl.scope, tpl.from_mailbox, tpl.reply_to_mailbox, tpl.enabled) =
                            (scope, from, reply, enabled);
                        let expected = enabled && scope != MailboxScope::Company(other) && from != Some(b.id);
                        assert_eq!(
                            template_offered(&tpl, &u, &usable),
                            expected,
                            "{scope:?} {from:?} {reply:?} {enabled}"
                        );
                    }
                }
            }
        }
        let foreign = template(new_tenant("x.example", 1).tenant.id, "s", "t", None);
        assert!(!template_offered(&foreign, &u, &usable), "another tenant's template");
    }
}
