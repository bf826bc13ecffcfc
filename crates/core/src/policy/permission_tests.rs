//! Exhaustive and property tests of the SPEC §2 rule.

use super::*;
use crate::model::{AccessList, Login, Mailbox, MailboxFlags, MailboxScope, Name, Tenant, User};
use crate::{CompanyId, EmailAddress, GroupId, MailboxId, TenantId, Timestamp, UserId};
use proptest::prelude::*;
use std::collections::BTreeSet;

/// Every input of the rule as one boolean each.
#[derive(Debug, Clone, Copy)]
struct Inputs {
    user_in_tenant: bool,
    mailbox_in_tenant: bool,
    tenant_enabled: bool,
    user_enabled: bool,
    mailbox_enabled: bool,
    use_from: bool,
    sender: bool,
    reply: bool,
    global: bool,
    company_shared: bool,
    restricted: bool,
    user_listed: bool,
    group_listed: bool,
}

const INPUTS: usize = 13;

impl Inputs {
    fn from_bits(b: u32) -> Self {
        let bit = |i: u32| b & (1 << i) != 0;
        Inputs {
            user_in_tenant: bit(0),
            mailbox_in_tenant: bit(1),
            tenant_enabled: bit(2),
            user_enabled: bit(3),
            mailbox_enabled: bit(4),
            use_from: bit(5),
            sender: bit(6),
            reply: bit(7),
            global: bit(8),
            company_shared: bit(9),
            restricted: bit(10),
            user_listed: bit(11),
            group_listed: bit(12),
        }
    }

    /// SPEC §2 written as the specification states it, independently of `may_use`.
    fn expected(&self) -> bool {
        let same_tenant = self.user_in_tenant && self.mailbox_in_tenant;
        let enabled = self.tenant_enabled && self.user_enabled && self.mailbox_enabled;
        let flag = if self.use_from { self.sender } else { self.reply };
        let company = self.global || self.company_shared;
        let listed = !self.restricted || self.user_listed || self.group_listed;
        same_tenant && enabled && flag && company && listed
    }

    fn build(&self) -> (Tenant, User, Mailbox, Usage) {
        let tenant_id = TenantId::generate();
        let other_tenant = TenantId::generate();
        let (user_company, mailbox_company, other_company) =
            (CompanyId::generate(), CompanyId::generate(), CompanyId::generate());
        let (user_group, other_group) = (GroupId::generate(), GroupId::generate());
        let user_id = UserId::generate();
        let tenant = Tenant {
            limits: Default::default(),
            id: tenant_id,
            name: name("T"),
            enabled: self.tenant_enabled,
            mailbox_quota: 1,
            created_at: Timestamp(0),
            allow_executable_attachments: false,
        };
        let mut companies = BTreeSet::from([user_company]);
        if self.company_shared {
            companies.insert(mailbox_company);
        }
        let user = User {
            limits: Default::default(),
            tenant_id: if self.user_in_tenant { tenant_id } else { other_tenant },
            id: user_id,
            login: Login::parse("u").expect("valid login"),
            name: name("U"),
            companies,
            groups: BTreeSet::from([user_group]),
            enabled: self.user_enabled,
            created_at: Timestamp(0),
            version: 1,
        };
        let mut access = AccessList::default();
        access.users.insert(UserId::generate());
        access.groups.insert(other_group);
        if self.user_listed {
            access.users.insert(user_id);
        }
        if self.group_listed {
            access.groups.insert(user_group);
        }
        let mailbox = Mailbox {
            display_name_policy: Default::default(),
            limits: Default::default(),
            tenant_id: if self.mailbox_in_tenant { tenant_id } else { other_tenant },
            id: MailboxId::generate(),
            address: EmailAddress::parse("m@tenant.example").expect("valid address"),
            display_name: name("M"),
            scope: if self.global { MailboxScope::Global } else { MailboxScope::Company(mailbox_company) },
            flags: MailboxFlags {
                sender: self.sender,
                reply: self.reply,
                restricted: self.restricted,
                enabled: self.mailbox_enabled,
            },
            smtp: None,
            access,
            system: false,
            created_at: Timestamp(0),
            version: 1,
        };
        let _ = other_company;
        (tenant, user, mailbox, if self.use_from { Usage::From } else { Usage::ReplyTo })
    }
}

const OWNED: Ownership = Ownership::VerifiedDomain;

/// A book in which the mailbox's domain is a verified domain of its tenant.
fn book_owning(m: &Mailbox) -> OwnershipBook {
    let domain = crate::model::SendingDomain {
        tenant_id: m.tenant_id,
        id: crate::DomainId::generate(),
        name: m.address.domain_name(),
        state: crate::model::DomainState::Verified,
        challenge: "c".into(),
        created_at: Timestamp(0),
        verified_at: Some(Timestamp(0)),
        lapsed_at: None,
        missing_since: None,
        failing_since: None,
        last_check: None,
        version: 1,
    };
    OwnershipBook::new(&[domain], &[], Default::default(), &Default::default())
}

#[test]
fn usable_mailboxes_applies_rule_0() {
    let (t, u, m, _) = Inputs::from_bits((1 << INPUTS) - 1).build();
    let usable = usable_mailboxes(&t, &u, [&m], &OwnershipBook::default());
    assert!(usable.from.is_empty() && usable.reply_to.is_empty(), "an unclaimed address is usable by nobody");
}

fn name(s: &str) -> Name {
    Name::parse(s).expect("valid name")
}

/// Every value rule 0 can see, and whether SPEC §1 calls it owned.
const OWNERSHIPS: [(Ownership, bool); 6] = [
    (Ownership::VerifiedDomain, true),
    (Ownership::Confirmed, true),
    (Ownership::Operator, true),
    (Ownership::PendingDomain, false),
    (Ownership::LapsedDomain, false),
    (Ownership::Unconfirmed, false),
];

#[test]
fn every_combination_of_inputs_matches_the_spec() {
    let mut allowed = 0;
    let mut seen = std::collections::BTreeSet::new();
    for (ownership, owned) in OWNERSHIPS {
        for bits in 0..1u32 << INPUTS {
            let inputs = Inputs::from_bits(bits);
            seen.insert(format!("{ownership:?}{inputs:?}"));
            let (tenant, user, mailbox, usage) = inputs.build();
            let decision = may_use(&tenant, &user, &mailbox, ownership, usage);
            assert_eq!(decision.is_allowed(), owned && inputs.expected(), "{ownership:?} {inputs:?} gave {decision:?}");
            if !owned {
                assert_eq!(decision, Decision::Denied(Denial::NotOwned(ownership)), "rule 0 is checked first");
            }
            if decision.is_allowed() {
                allowed += 1;
            }
        }
    }
    // Every combination of rule 0's six states and the 13 inputs of rules 1-4, each a different one.
    assert_eq!(seen.len(), 6 * 8192, "the enumeration repeats inputs");
    // owned (3 of 6) x same tenant (1) x enabled (1) x flag: for each use the needed flag set, other
    // free (2 uses x 2) x company: global or shared (3 of 4) x listing: !restricted (4) or restricted
    // with a listing (3) = 7
    assert_eq!(allowed, 3 * 2 * 2 * 3 * 7);
}

#[test]
fn denial_reasons_follow_the_order_of_the_rule() {
    let base = Inputs::from_bits((1 << INPUTS) - 1);
    let (t, u, m, _) = base.build();
    assert_eq!(may_use(&t, &u, &m, OWNED, Usage::From), Decision::Allowed);
    type Change = fn(&mut Inputs);
    let cases: [(Change, Denial); 8] = [
        (|i| i.mailbox_in_tenant = false, Denial::OtherTenant),
        (|i| i.tenant_enabled = false, Denial::TenantDisabled),
        (|i| i.user_enabled = false, Denial::UserDisabled),
        (|i| i.mailbox_enabled = false, Denial::MailboxDisabled),
        (|i| i.sender = false, Denial::NotSender),
        (|i| (i.use_from, i.reply) = (false, false), Denial::NotReply),
        (|i| (i.global, i.company_shared) = (false, false), Denial::OtherCompany),
        (|i| (i.user_listed, i.group_listed) = (false, false), Denial::NotListed),
    ];
    for (change, denial) in cases {
        let mut inputs = base;
        change(&mut inputs);
        let (t, u, m, usage) = inputs.build();
        assert_eq!(may_use(&t, &u, &m, OWNED, usage), Decision::Denied(denial));
    }
}

#[test]
fn usable_mailboxes_splits_by_use() {
    let mut inputs = Inputs::from_bits((1 << INPUTS) - 1);
    inputs.reply = false;
    let (t, u, m, _) = inputs.build();
    let usable = usable_mailboxes(&t, &u, [&m], &book_owning(&m));
    assert_eq!(usable.from.len(), 1);
    assert!(usable.reply_to.is_empty());
    assert!(usable.find(Usage::From, &m.address).is_some());
    assert!(usable.find(Usage::ReplyTo, &m.address).is_none());
}

fn arb_inputs() -> impl Strategy<Value = Inputs> {
    (0u32..(1 << INPUTS)).prop_map(Inputs::from_bits)
}

proptest! {
    #[test]
    fn another_tenants_mailbox_is_never_allowed(inputs in arb_inputs(), from in any::<bool>()) {
        let (tenant, user, mut mailbox, _) = inputs.build();
        mailbox.tenant_id = TenantId::generate();
        let usage = if from { Usage::From } else { Usage::ReplyTo };
        prop_assert_eq!(may_use(&tenant, &user, &mailbox, OWNED, usage), Decision::Denied(Denial::OtherTenant));
    }

    #[test]
    fn removing_a_grant_never_adds_a_permission(inputs in arb_inputs(), which in 0usize..6) {
        let (tenant, user, mailbox, usage) = inputs.build();
        let before = may_use(&tenant, &user, &mailbox, OWNED, usage).is_allowed();
        let (mut user2, mut mailbox2) = (user.clone(), mailbox.clone());
        match which {
            0 => { mailbox2.access.users.remove(&user.id); }
            1 => { user2.groups.clear(); }
            2 => { user2.companies.clear(); }
            3 => { mailbox2.flags.sender = false; mailbox2.flags.reply = false; }
            4 => { mailbox2.flags.restricted = true; }
            _ => { if let MailboxScope::Global = mailbox2.scope { mailbox2.scope = MailboxScope::Company(CompanyId::generate()); } }
        }
        let after = may_use(&tenant, &user2, &mailbox2, OWNED, usage).is_allowed();
        prop_assert!(before || !after, "a removal granted access: {:?} / {}", inputs, which);
    }

    #[test]
    fn disabling_anything_denies(inputs in arb_inputs(), which in 0usize..3) {
        let (mut tenant, mut user, mut mailbox, usage) = inputs.build();
        match which {
            0 => tenant.enabled = false,
            1 => user.enabled = false,
            _ => mailbox.flags.enabled = false,
        }
        prop_assert!(!may_use(&tenant, &user, &mailbox, OWNED, usage).is_allowed());
    }
}
