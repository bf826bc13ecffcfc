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
    o.resent = vec![ResentBlock { from: vec![entry(None, "ceo@victim.example")], sender: None }];
    assert_eq!(check_message(&o, env.as_ref(), &u).err(), Some(MessageDenial::NotAllowed(Field::ResentFrom)));
    let mut o = base.clone();
    o.resent = vec![
        ResentBlock { from: vec![entry(None, "a@tenant.example")], sender: None },
        ResentBlock { from: vec![entry(None, "a@tenant.example")], sender: Some(entry(None, "r@tenant.example")) },
    ];
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
    for bad in ["\u{202E}olleh", "a\r\nBcc: x", "nul\0", "esc\u{1b}$B", "c1\u{85}", "\u{2066}isolate", "\u{61C}alm"] {
        assert_eq!(
            check_message(&with(bad), env.as_ref(), &u).err(),
            Some(MessageDenial::DisplayNameControl(Field::From)),
            "{bad:?}"
        );
    }
    // Ordinary names of real clients: emoji with zero-width joiners and variation selectors, scripts
    // that join with ZWNJ, a soft hyphen.
    for good in ["Ann 👩\u{200D}💻 Tenant", "❤\u{FE0F} Team", "می\u{200C}خواهم", "Ann\u{00AD}Tenant", "山田 太郎"]
    {
        assert!(check_message(&with(good), env.as_ref(), &u).is_ok(), "{good:?}");
    }
}

#[test]
fn the_sending_mailbox_follows_rfc_5322() {
    let u = usable_for(&["a@tenant.example", "team@tenant.example", "b@tenant.example"], &[]);
    let addr = |a: &str| EmailAddress::parse(a).ok();
    let sending = |o: &Originators, env: &str| check_message(o, addr(env).as_ref(), &u).map(|m| m.address.to_string());
    // Send on behalf of: From the team mailbox, Sender and MAIL FROM the user.
    let on_behalf = Originators {
        from: vec![entry(None, "team@tenant.example")],
        sender: Some(entry(None, "a@tenant.example")),
        ..Default::default()
    };
    assert_eq!(sending(&on_behalf, "a@tenant.example"), Ok("a@tenant.example".into()));
    assert_eq!(sending(&on_behalf, "team@tenant.example"), Ok("a@tenant.example".into()), "any originator");
    assert_eq!(sending(&on_behalf, "b@tenant.example").err(), Some(MessageDenial::EnvelopeMismatch));
    // A redirect: the topmost resent block names the sending mailbox.
    let redirect = |blocks: Vec<ResentBlock>| Originators {
        from: vec![entry(None, "team@tenant.example")],
        resent: blocks,
        ..Default::default()
    };
    let block = |from: &[&str], sender: Option<&str>| ResentBlock {
        from: from.iter().map(|a| entry(None, a)).collect(),
        sender: sender.map(|s| entry(None, s)),
    };
    let o = redirect(vec![block(&["a@tenant.example"], None)]);
    assert_eq!(sending(&o, "a@tenant.example"), Ok("a@tenant.example".into()));
    assert_eq!(sending(&o, "team@tenant.example"), Ok("a@tenant.example".into()));
    let o = redirect(vec![block(&["b@tenant.example"], Some("a@tenant.example"))]);
    assert_eq!(sending(&o, "b@tenant.example"), Ok("a@tenant.example".into()), "Resent-Sender first");
    let o = redirect(vec![block(&["b@tenant.example"], None), block(&["a@tenant.example"], None)]);
    assert_eq!(sending(&o, "a@tenant.example"), Ok("b@tenant.example".into()), "the topmost block");
    let o = redirect(vec![block(&["a@tenant.example", "b@tenant.example"], None)]);
    assert_eq!(sending(&o, "a@tenant.example").err(), Some(MessageDenial::SeveralFromWithoutSender));
    // A block with only Resent-Date (no originator) leaves the choice to Sender / From.
    let o = redirect(vec![ResentBlock::default()]);
    assert_eq!(sending(&o, "team@tenant.example"), Ok("team@tenant.example".into()));
}

#[test]
fn every_field_that_directs_replies_needs_reply_to() {
    let u = usable_for(&["a@tenant.example"], &["r@tenant.example", "list@tenant.example"]);
    let env = EmailAddress::parse("a@tenant.example").ok();
    let base = Originators { from: vec![entry(None, "a@tenant.example")], ..Default::default() };
    type Set = fn(&mut Originators, Vec<Entry>);
    let fields: [(Field, Set); 2] =
        [(Field::MailReplyTo, |o, e| o.mail_reply_to = e), (Field::MailFollowupTo, |o, e| o.mail_followup_to = e)];
    for (field, set) in fields {
        let with = |addresses: &[&str]| {
            let mut o = base.clone();
            set(&mut o, addresses.iter().map(|a| entry(None, a)).collect());
            check_message(&o, env.as_ref(), &u)
        };
        assert!(with(&["r@tenant.example"]).is_ok(), "{field:?}: a reply mailbox");
        assert!(with(&["r@tenant.example", "list@tenant.example"]).is_ok(), "{field:?}: several, all allowed");
        let denied = Some(MessageDenial::NotAllowed(field));
        assert_eq!(with(&["ceo@victim.example"]).err(), denied, "{field:?}: a foreign address");
        assert_eq!(with(&["a@tenant.example"]).err(), denied, "{field:?}: from, but not reply_to");
        assert_eq!(with(&["r@tenant.example", "ceo@victim.example"]).err(), denied, "{field:?}: one of several");
        assert_eq!(with(&["not-an-address"]).err(), denied, "{field:?}: unparsable");
        // Display names there are checked like Reply-To's.
        let mut o = base.clone();
        set(&mut o, vec![entry(Some("ceo@victim.example"), "r@tenant.example")]);
        assert_eq!(check_message(&o, env.as_ref(), &u).err(), Some(MessageDenial::DisplayNameAddress(field)));
    }
    assert_eq!((Field::MailReplyTo.name(), Field::MailFollowupTo.name()), ("Mail-Reply-To", "Mail-Followup-To"));
}
