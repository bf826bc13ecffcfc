//! Tests of display-name skeletons and of the display-name rules of
//! `check_message` (SPEC §3: `free` and `fixed`, other people's names).

use super::*;
use crate::EmailAddress;
use crate::model::{DisplayNamePolicy, Mailbox, User};
use crate::policy::OwnershipBook;
use crate::testing::fixtures;
use crate::{TenantId, testing_support::entry};

#[test]
fn look_alikes_meet_in_one_skeleton() {
    let ann = skeleton("Ann Tenant");
    for same in [
        "Ann Tenant",
        "ann tenant",
        "ANN TENANT",
        "  Ann   Tenant ",
        "Ann\u{00A0}Tenant",
        "Ann\tTenant",
        "\u{0410}nn Tenant",               // Cyrillic А
        "Ann T\u{0435}n\u{0430}nt",        // Cyrillic е, а
        "\u{FF21}\u{FF4E}\u{FF4E} Tenant", // full-width Ａｎｎ
        "Ann Te\u{200B}nant",              // zero-width space (default ignorable)
        "Ann Te\u{00AD}nant",              // soft hyphen
        "AnnTenant",
        "Ann-Tenant",
        "Ann Tenant.",
        "Ann\u{3164}Tenant",  // Hangul filler
        "Ann\u{FFA0}Tenant",  // half-width Hangul filler
        "Ann\u{2800}Tenant",  // blank Braille pattern
        "Ann Ten\u{0301}ant", // a combining mark
    ] {
        assert_eq!(skeleton(same), ann, "{same:?}");
    }
    assert_eq!(skeleton("Bob Owner"), skeleton("B\u{043E}b \u{039F}wner"), "Cyrillic о, Greek Ο");
    assert_eq!(skeleton("Bob Owner"), skeleton("B0b 0wner"), "digit zero");
    assert_eq!(skeleton("Tim Smith"), skeleton("Tirn Srnith"), "rn for m");
    assert_eq!(skeleton("Ilse"), skeleton("llse"), "capital I for small l");
    assert_eq!(skeleton("ILSE"), skeleton("ilse"), "case folded around the I/l skeleton");
    assert_eq!(skeleton("Anna Müller"), skeleton("Anna Mu\u{0308}ller"), "composed or not");
    for other in ["Ann Tenants", "Anne Tenant", "Tenant Ann", "Bob Owner"] {
        assert_ne!(skeleton(other), ann, "{other:?}");
    }
    assert_eq!(skeleton(""), "");
    assert_eq!(skeleton(" \u{200B} "), "");
    assert_eq!(skeleton("山田 太郎"), skeleton("山田　太郎"), "ideographic space");
}

const T: &str = "tenant.example";

struct World {
    user: User,
    users: Vec<User>,
    mailboxes: Vec<Mailbox>,
}

fn person(tenant: TenantId, login: &str, name: &str) -> User {
    User { name: fixtures::name(name), ..fixtures::user(tenant, login, &[]) }
}

fn mailbox(tenant: TenantId, local: &str, name: &str, policy: DisplayNamePolicy) -> Mailbox {
    let mut m = fixtures::mailbox(tenant, &format!("{local}@{T}"), crate::model::MailboxScope::Global);
    m.display_name = fixtures::name(name);
    m.display_name_policy = policy;
    m
}

/// Ann may use `ann@` (free), `fixed@` ("Ann's Desk", fixed) and `sales@`
/// ("Sales Team", free); `ceo@` ("Carla Boss") is restricted to others;
/// the tenant also has Bob Owner and Carla Boss as users.
fn world() -> World {
    let t = TenantId::generate();
    let user = person(t, "ann", "Ann Tenant");
    let users = vec![user.clone(), person(t, "bob", "Bob Owner"), person(t, "carla", "Carla Boss")];
    let mut ceo = mailbox(t, "ceo", "Carla Boss", DisplayNamePolicy::Free);
    ceo.flags.restricted = true;
    let mut board = mailbox(t, "board", "The Board", DisplayNamePolicy::Free);
    board.flags.restricted = true;
    let mailboxes = vec![
        mailbox(t, "ann", "Ann Tenant", DisplayNamePolicy::Free),
        mailbox(t, "fixed", "Ann's Desk", DisplayNamePolicy::Fixed),
        mailbox(t, "sales", "Sales Team", DisplayNamePolicy::Free),
        ceo,
        board,
    ];
    World { user, users, mailboxes }
}

fn tenant(id: TenantId) -> crate::model::Tenant {
    crate::model::Tenant { id, ..fixtures::new_tenant(T, 10).tenant }
}

fn usable(w: &World) -> UsableMailboxes {
    let mut u =
        usable_mailboxes(&tenant(w.user.tenant_id), &w.user, &w.mailboxes, &OwnershipBook::assigning(&w.mailboxes));
    u.names = NameGuard::new(&w.user, &w.users, &w.mailboxes, &u);
    u
}

fn verdict(u: &UsableMailboxes, name: &str, address: &str) -> Result<(), MessageDenial> {
    let o = Originators { from: vec![entry(Some(name), address)], ..Default::default() };
    let env = EmailAddress::parse(address).ok();
    check_message(&o, env.as_ref(), u).map(|_| ())
}

#[test]
fn free_mailboxes_refuse_only_other_peoples_names() {
    let w = world();
    let u = usable(&w);
    assert_eq!(u.from.len(), 3, "ann@, fixed@, sales@");
    let imp = Err(MessageDenial::DisplayNameImpersonation(Field::From));
    let table: &[(&str, Result<(), MessageDenial>)] = &[
        ("", Ok(())),
        ("   ", Ok(())),
        ("Ann Tenant", Ok(())),
        ("ann  TENANT", Ok(())),
        ("Sales Team", Ok(())),
        ("Ann's Desk", Ok(())),
        ("Ann from Sales", Ok(())),
        ("Jürgen Müller", Ok(())),
        ("ann@tenant.example", Ok(())),
        ("Bob Owner", imp),
        ("bob owner", imp),
        ("  Bob   Owner ", imp),
        ("B\u{043E}b Owner", imp),               // Cyrillic о
        ("Bob \u{039F}wner", imp),               // Greek Ο
        ("\u{FF22}\u{FF4F}\u{FF42} Owner", imp), // full-width
        ("B\u{043E}b \u{039F}wner", imp),        // mixed scripts
        ("Carla Boss", imp),                     // a user and the restricted ceo@
        ("CarIa Boss", imp),                     // capital I for l
        ("The Board", imp),                      // a mailbox Ann may not use
        ("The B\u{043E}ard", imp),
        ("Bob Owners", Ok(())),
        ("Bob", Ok(())),
    ];
    for (name, want) in table {
        assert_eq!(verdict(&u, name, "ann@tenant.example"), *want, "{name:?}");
    }
}

#[test]
fn fixed_mailboxes_take_their_own_name_or_the_users() {
    let w = world();
    let u = usable(&w);
    let not_fixed = Err(MessageDenial::DisplayNameNotFixed(Field::From));
    let table: &[(&str, Result<(), MessageDenial>)] = &[
        ("", Ok(())),
        ("Ann's Desk", Ok(())),
        ("ANN'S  DESK", Ok(())),
        ("\u{0410}nn's Desk", Ok(())),
        ("Ann Tenant", Ok(())),
        ("Ann T\u{0435}nant", Ok(())),
        ("fixed@tenant.example", Ok(())),
        ("Sales Team", not_fixed),
        ("Ann", not_fixed),
        ("Anything", not_fixed),
        ("\u{1F3E6}\u{1F3E6}", not_fixed),
        ("Ann's-Desk!", Ok(())),
        ("Bob Owner", not_fixed),
    ];
    for (name, want) in table {
        assert_eq!(verdict(&u, name, "fixed@tenant.example"), *want, "{name:?}");
    }
}

#[test]
fn every_originator_field_is_checked_and_named() {
    let w = world();
    let u = usable(&w);
    let env = EmailAddress::parse("ann@tenant.example").ok();
    let base = Originators { from: vec![entry(Some("Ann Tenant"), "ann@tenant.example")], ..Default::default() };
    let mut o = base.clone();
    o.sender = Some(entry(Some("Bob Owner"), "ann@tenant.example"));
    assert_eq!(check_message(&o, env.as_ref(), &u).err(), Some(MessageDenial::DisplayNameImpersonation(Field::Sender)));
    let mut o = base.clone();
    o.reply_to = vec![entry(Some("Carla Boss"), "sales@tenant.example")];
    assert_eq!(
        check_message(&o, env.as_ref(), &u).err(),
        Some(MessageDenial::DisplayNameImpersonation(Field::ReplyTo))
    );
    let mut o = base.clone();
    o.reply_to = vec![entry(Some("Sales Team"), "fixed@tenant.example")];
    assert_eq!(check_message(&o, env.as_ref(), &u).err(), Some(MessageDenial::DisplayNameNotFixed(Field::ReplyTo)));
    let mut o = base.clone();
    o.resent = vec![ResentBlock {
        from: vec![entry(Some("Bob Owner"), "ann@tenant.example")],
        sender: Some(entry(Some("Ann Tenant"), "ann@tenant.example")),
    }];
    assert_eq!(
        check_message(&o, env.as_ref(), &u).err(),
        Some(MessageDenial::DisplayNameImpersonation(Field::ResentFrom))
    );
    o.resent[0].from[0].display_name = None;
    o.resent[0].sender = Some(entry(Some("The Board"), "ann@tenant.example"));
    assert_eq!(
        check_message(&o, env.as_ref(), &u).err(),
        Some(MessageDenial::DisplayNameImpersonation(Field::ResentSender))
    );
    // The address checks come first: a name is judged only in front of a usable address.
    let mut o = base;
    o.from = vec![entry(Some("Bob Owner"), "ceo@tenant.example")];
    assert_eq!(check_message(&o, env.as_ref(), &u).err(), Some(MessageDenial::NotAllowed(Field::From)));
}

#[test]
fn a_name_shared_with_someone_else_stays_the_users() {
    let mut w = world();
    let t = w.user.tenant_id;
    w.users.push(person(t, "ann2", "Ann Tenant"));
    w.users.push(person(t, "sally", "Sales Team"));
    let u = usable(&w);
    assert_eq!(verdict(&u, "Ann Tenant", "ann@tenant.example"), Ok(()));
    assert_eq!(verdict(&u, "Sales Team", "ann@tenant.example"), Ok(()), "a usable mailbox's name");
    // Bob may use ann@ ("Ann Tenant", global): the name is his to write too.
    let other = w.users[1].clone();
    let mut o = usable_mailboxes(&tenant(t), &other, &w.mailboxes, &OwnershipBook::assigning(&w.mailboxes));
    o.names = NameGuard::new(&other, &w.users, &w.mailboxes, &o);
    assert!(!o.names.is_foreign("Ann Tenant"));
    // Restricted to Ann, ann@'s name and hers are foreign to Bob.
    w.mailboxes[0].flags.restricted = true;
    w.mailboxes[0].access.users.insert(w.user.id);
    let mut o = usable_mailboxes(&tenant(t), &other, &w.mailboxes, &OwnershipBook::assigning(&w.mailboxes));
    o.names = NameGuard::new(&other, &w.users, &w.mailboxes, &o);
    assert!(o.names.is_foreign("Ann Tenant"));
    assert!(!o.names.is_foreign("Bob Owner"));
}

#[test]
fn an_unloaded_guard_refuses_no_name_and_fixes_to_the_mailbox() {
    let w = world();
    let mut u = usable(&w);
    u.names = NameGuard::default();
    assert!(u.names.is_empty());
    assert_eq!(verdict(&u, "Bob Owner", "ann@tenant.example"), Ok(()));
    assert_eq!(verdict(&u, "Ann's Desk", "fixed@tenant.example"), Ok(()));
    assert_eq!(verdict(&u, "Ann Tenant", "fixed@tenant.example"), Err(MessageDenial::DisplayNameNotFixed(Field::From)));
}
