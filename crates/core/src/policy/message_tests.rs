//! Tests of the message policy (SPEC §3 originator rules).

use super::*;
use crate::EmailAddress;
use crate::model::MailboxScope;
use crate::testing_support::{entry, usable_for};

#[test]
fn a_single_allowed_from_is_the_sending_mailbox() {
    let u = usable_for(&["a@tenant.example"], &["a@tenant.example"]);
    let o = Originators { from: vec![entry(None, "a@tenant.example")], ..Default::default() };
    let env = EmailAddress::parse("A@Tenant.example").ok();
    assert_eq!(check_message(&o, env.as_ref(), &u).map(|m| m.address.to_string()), Ok("a@tenant.example".into()));
    let other = EmailAddress::parse("b@tenant.example").ok();
    assert_eq!(check_message(&o, other.as_ref(), &u).err(), Some(MessageDenial::EnvelopeMismatch));
    assert_eq!(check_message(&o, None, &u).err(), Some(MessageDenial::EnvelopeMismatch));
    let _ = MailboxScope::Global;
}

#[test]
fn several_from_need_one_allowed_sender() {
    let u = usable_for(&["a@tenant.example", "b@tenant.example"], &[]);
    let env = EmailAddress::parse("b@tenant.example").ok();
    let two = vec![entry(None, "a@tenant.example"), entry(None, "b@tenant.example")];
    let o = Originators { from: two.clone(), ..Default::default() };
    assert_eq!(check_message(&o, env.as_ref(), &u).err(), Some(MessageDenial::SeveralFromWithoutSender));
    let o = Originators { from: two, sender: Some(entry(None, "b@tenant.example")), ..Default::default() };
    assert_eq!(check_message(&o, env.as_ref(), &u).map(|m| m.address.to_string()), Ok("b@tenant.example".into()));
}

#[test]
fn every_field_is_checked_for_its_use() {
    let u = usable_for(&["a@tenant.example"], &["r@tenant.example"]);
    let env = EmailAddress::parse("a@tenant.example").ok();
    let base = Originators { from: vec![entry(None, "a@tenant.example")], ..Default::default() };
    let mut o = base.clone();
    o.reply_to = vec![entry(None, "r@tenant.example")];
    assert!(check_message(&o, env.as_ref(), &u).is_ok());
    o.reply_to = vec![entry(None, "a@tenant.example")];
    assert_eq!(check_message(&o, env.as_ref(), &u).err(), Some(MessageDenial::NotAllowed(Field::ReplyTo)));
    let mut o = base.clone();
    o.resent_from = vec![entry(None, "ceo@victim.example")];
    assert_eq!(check_message(&o, env.as_ref(), &u).err(), Some(MessageDenial::NotAllowed(Field::ResentFrom)));
    let mut o = base.clone();
    o.resent_sender = vec![entry(None, "r@tenant.example")];
    assert_eq!(check_message(&o, env.as_ref(), &u).err(), Some(MessageDenial::NotAllowed(Field::ResentSender)));
    let mut o = base;
    o.from.push(entry(None, "not-an-address"));
    assert_eq!(check_message(&o, env.as_ref(), &u).err(), Some(MessageDenial::NotAllowed(Field::From)));
}

#[test]
fn display_names_must_not_carry_other_addresses_or_controls() {
    let u = usable_for(&["a@tenant.example"], &[]);
    let env = EmailAddress::parse("a@tenant.example").ok();
    let with = |name: &str| Originators { from: vec![entry(Some(name), "a@tenant.example")], ..Default::default() };
    assert!(check_message(&with("Jürgen Müller"), env.as_ref(), &u).is_ok());
    assert!(check_message(&with("a@tenant.example"), env.as_ref(), &u).is_ok());
    assert!(check_message(&with("\"A@Tenant.Example\""), env.as_ref(), &u).is_ok());
    for bad in ["ceo@victim.example", "ceo\u{FF20}victim.example", "ceo\u{FE6B}victim.example", "x @ y"] {
        assert_eq!(
            check_message(&with(bad), env.as_ref(), &u).err(),
            Some(MessageDenial::DisplayNameAddress(Field::From)),
            "{bad}"
        );
    }
    for bad in ["\u{202E}olleh", "a\r\nBcc: x", "zero\u{200B}width"] {
        assert_eq!(
            check_message(&with(bad), env.as_ref(), &u).err(),
            Some(MessageDenial::DisplayNameControl(Field::From))
        );
    }
}
