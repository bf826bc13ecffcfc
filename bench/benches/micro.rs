//! criterion micro-benchmarks of the pure hot path: originator header
//! extraction (our parser plus mail-parser's second opinion), the whole
//! verdict on a received message, and the policy: `may_use` for one
//! mailbox and `usable_mailboxes` (the permission snapshot) for 500.
//! Run: `cargo bench -p sendas-bench --bench micro`.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use sendas_core::model::{MailboxScope, Tenant};
use sendas_core::policy::{UsableMailboxes, Usage, may_use, usable_mailboxes};
use sendas_core::testing::fixtures;
use sendas_core::{EmailAddress, TenantId, Timestamp};
use sendas_message::data::{DataLimits, DataReader};
use sendas_message::headers::extract;
use sendas_message::verdict::{Verdict, decide};
use std::hint::black_box;

fn message(size: usize) -> Vec<u8> {
    sendas_bench::message("a@tenant.example", "rcpt@example.net", "micro", 0, 0, size)
}

fn headers(c: &mut Criterion) {
    let plain = message(10 * 1024);
    let rich = b"From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <a@tenant.example>, Shared <shared@tenant.example>\r\n\
Sender: Alice <a@tenant.example>\r\nReply-To: Replies\r\n <reply@tenant.example>\r\nTo: x@example.net\r\n\
Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nMessage-ID: <m@tenant.example>\r\nMIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nHallo.\r\n"
        .to_vec();
    c.bench_function("extract originators, 10 KiB message", |b| b.iter(|| extract(black_box(&plain), 64 << 10)));
    c.bench_function("extract originators, RFC 2047 names, Sender, folded Reply-To", |b| {
        b.iter(|| extract(black_box(&rich), 64 << 10))
    });
}

fn verdict(c: &mut Criterion) {
    let t = TenantId::generate();
    let mb = |a: &str| fixtures::mailbox(t, a, MailboxScope::Global);
    let usable =
        UsableMailboxes { from: vec![mb("a@tenant.example"), mb("shared@tenant.example")], ..Default::default() };
    let envelope = EmailAddress::parse("a@tenant.example").ok();
    let wire = {
        let mut w = message(10 * 1024);
        w.extend_from_slice(b".\r\n");
        w
    };
    c.bench_function("DATA reader + verdict, 10 KiB message", |b| {
        b.iter(|| {
            let mut reader = DataReader::new(DataLimits { max_size: 25 << 20, max_line: 998 });
            let (_, received) = reader.feed(black_box(&wire));
            let received = received.unwrap();
            assert!(matches!(decide(&received, envelope.as_ref(), &usable, 64 << 10, 998), Verdict::Relay { .. }));
        })
    });
}

fn policy(c: &mut Criterion) {
    let t = TenantId::generate();
    let tenant = Tenant {
        limits: Default::default(),
        id: t,
        name: fixtures::name("T"),
        enabled: true,
        mailbox_quota: 1000,
        created_at: Timestamp(0),
        allow_executable_attachments: false,
    };
    let company = sendas_core::CompanyId::generate();
    let user = fixtures::user(t, "alice", &[company]);
    let mailboxes: Vec<_> = (0..500)
        .map(|i| {
            let scope = if i % 3 == 0 { MailboxScope::Global } else { MailboxScope::Company(company) };
            let mut m = fixtures::mailbox(t, &format!("box{i}@tenant.example"), scope);
            m.flags.restricted = i % 5 == 0;
            m
        })
        .collect();
    let book = sendas_core::policy::OwnershipBook::assigning(&mailboxes);
    c.bench_function("may_use, one mailbox", |b| {
        b.iter(|| {
            let m = black_box(&mailboxes[7]);
            may_use(black_box(&tenant), black_box(&user), m, book.of(m), Usage::From)
        })
    });
    c.bench_function("usable_mailboxes, 500 mailboxes (permission snapshot)", |b| {
        b.iter(|| usable_mailboxes(black_box(&tenant), black_box(&user), black_box(&mailboxes), black_box(&book)))
    });
}

criterion_group!(benches, headers, verdict, policy);
criterion_main!(benches);
