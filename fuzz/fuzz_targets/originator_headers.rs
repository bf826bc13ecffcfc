//! Originator extraction and the verdict on any message: never a panic;
//! a message the verdict relays re-reads to the same decision; every
//! extracted address is a parsed, normalised address.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sendas_message::data::{DataLimits, DataReader};
use sendas_message::headers::extract;
use sendas_relay::Envelope;
use sendas_message::verdict::{Verdict, decide};

fuzz_target!(|data: &[u8]| {
    let l = sendas_fuzz::limits();
    if let Ok(extracted) = extract(data, l.max_header_size) {
        let o = &extracted.originators;
        let entries = o.from.iter().chain(&o.sender).chain(&o.reply_to).chain(o.resent_from()).chain(o.resent_sender());
        for entry in entries {
            if let Some(a) = &entry.address {
                assert_eq!(sendas_core::EmailAddress::parse(a.as_str()).ok().as_ref(), Some(a), "normalised");
            }
        }
    }
    // The same bytes as a DATA stream (terminated), through the verdict.
    let mut wire = data.to_vec();
    wire.extend_from_slice(b"\r\n.\r\n");
    let mut reader = DataReader::new(DataLimits { max_size: l.max_message_size, max_line: l.max_line_length });
    let (_, Some(received)) = reader.feed(&wire) else { return };
    let snap = sendas_fuzz::snapshot();
    for from in [None, Some(&snap.usable.from[0].address)] {
        if let Verdict::Relay { mailbox, .. } = decide(&received, from, &snap.usable, l.max_header_size, l.max_line_length)
        {
            let envelope = Envelope { from: mailbox.address.clone(), to: vec!["r@example.net".into()] };
            sendas_fuzz::recheck(mailbox, &envelope, &received.message);
        }
    }
});
