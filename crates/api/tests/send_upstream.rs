//! HTTP send against a real upstream that enforces AUTH (Postfix with
//! Cyrus SASL over verified STARTTLS, delivering to the capture server of
//! `scripts/upstreams`): a template sent with a changed Reply-To arrives
//! once, Python's `email` and mail-parser both read back what was sent,
//! the audit says `http`; twenty concurrent requests with one
//! `Idempotency-Key` send one message. And template injection: variables
//! never become headers or markup, and huge ones are refused, not sent.
#![allow(clippy::unwrap_used)]

mod support;

use axum::http::Method;
use mail_parser::{MessageParser, MimeHeaders};
use sendas_testkit::upstreams::upstreams;
use serde_json::{Value, json};
use std::time::Duration;
use support::*;

/// An API whose relay trusts the upstreams' CA, with a tenant whose
/// `relay@example.test` mailbox logs in to Postfix with its password, a
/// reply-only mailbox, a user, and a template presetting both.
async fn rig() -> (TestApi, Tenant, User, String, String, String) {
    let up = upstreams();
    let mut options = sendas_relay::RelayOptions::new(Duration::from_secs(10))
        .with_networks(sendas_core::policy::UpstreamNetworks::loopback());
    options.trust = sendas_smtp_client::Trust::with_pem_file(&up.ca_bundle()).unwrap();
    let api = TestApi::memory_with(options);
    let op = api.operator_token().await;
    let t = create_tenant(&api, &op, "example.test", 5).await;
    let u = create_user(&api, &t, "http-sender").await;
    let mailboxes = format!("/v1/tenants/{}/mailboxes", t.id);
    let mut relay = mailbox_body("relay@example.test");
    relay["display_name"] = json!("Relay Desk");
    relay["smtp"] = json!({"host": "localhost", "port": up.port(&["postfix", "starttls_port"]), "tls": "starttls",
        "username": "relay@example.test"});
    let relay = expect(&api.post(&mailboxes, &t.admin, relay).await, 201)["id"].as_str().unwrap().to_owned();
    let password = json!({"password": up.str(&["postfix", "users", "relay@example.test"])});
    expect(&api.put(&format!("{mailboxes}/{relay}/password"), &t.admin, password).await, 204);
    let mut replies = mailbox_body("replies@example.test");
    (replies["sender"], replies["display_name"]) = (json!(false), json!("Replies"));
    let replies = expect(&api.post(&mailboxes, &t.admin, replies).await, 201)["id"].as_str().unwrap().to_owned();
    let tpl = json!({"name": "Offer", "global": true, "subject": "Angebot für {{ name }}",
        "text_body": "Guten Tag {{ name }},\n{{ body }}\n", "html_body": "<p>Guten Tag {{ name }}</p><div>{{ body }}</div>",
        "from_mailbox_id": relay, "reply_to_mailbox_id": relay});
    let tpl = api.post(&format!("/v1/tenants/{}/templates", t.id), &t.admin, tpl).await;
    let template = expect(&tpl, 201)["id"].as_str().unwrap().to_owned();
    (api, t, u, relay, replies, template)
}

/// What Python's `email` reads from a message: From, Reply-To, Subject, the text, the attachments.
fn python_reads(eml: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.eml");
    std::fs::write(&path, eml).unwrap();
    let script = r#"
import base64, json, sys
from email import policy
from email.parser import BytesParser
m = BytesParser(policy=policy.default).parse(open(sys.argv[1], "rb"))
text = m.get_body(preferencelist=("plain",))
atts = [{"name": a.get_filename(), "type": a.get_content_type(), "b64": base64.b64encode(a.get_payload(decode=True)).decode()}
        for a in m.iter_attachments()]
print(json.dumps({"from": str(m["From"]), "reply_to": str(m["Reply-To"]), "subject": str(m["Subject"]),
                  "text": text.get_content() if text else None, "attachments": atts, "bcc": m["Bcc"]}))
"#;
    let out = std::process::Command::new("python3").arg("-c").arg(script).arg(&path).output().unwrap();
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_sent_over_http_arrives_once_at_a_real_upstream_as_sent() {
    let up = upstreams();
    let (api, t, u, relay, replies, template) = rig().await;
    let offered = api.get("/v1/me/templates", &u.token).await;
    assert_eq!(expect(&offered, 200)[0]["id"].as_str(), Some(template.as_str()));
    let mine = api.get("/v1/me/mailboxes", &u.token).await;
    assert!(expect(&mine, 200)["reply_to"].as_array().unwrap().iter().any(|m| m["id"] == json!(replies)));

    let content = b"Zeile 1\nZeile 2\n".to_vec();
    let body = json!({"template_id": template, "variables": {"name": "Zoë", "body": "Preis: 5 € <netto>"},
        "reply_to_mailbox_id": replies, "to": ["http-one@dest.example"], "bcc": ["http-bcc@dest.example"],
        "attachments": [{"filename": "preise.txt", "content_base64": data_encoding::BASE64.encode(&content),
                         "content_type": "text/plain; charset=utf-8"}]});
    let sent = api.post("/v1/me/messages", &u.token, body).await;
    let view = expect(&sent, 201).clone();
    assert_eq!(view["from_mailbox_id"].as_str(), Some(relay.as_str()));
    assert!(view["upstream_reply"].as_str().unwrap().starts_with("2"), "{}", sent.raw);

    let got = up.wait_captured("http-one@dest.example", 1);
    let eml = &got[0].1;
    let ours = MessageParser::default().parse(eml).unwrap();
    let addr =
        |a: Option<&mail_parser::Address>| a.and_then(|a| a.first()).and_then(|a| a.address()).map(str::to_owned);
    assert_eq!(addr(ours.from()).as_deref(), Some("relay@example.test"));
    assert_eq!(addr(ours.reply_to()).as_deref(), Some("replies@example.test"), "the user's Reply-To, not the preset");
    assert_eq!(ours.subject(), Some("Angebot für Zoë"));
    assert_eq!(ours.message_id(), view["message_id"].as_str().map(|m| m.trim_matches(['<', '>'])));
    assert!(ours.body_html(0).unwrap().contains("Preis: 5 € &lt;netto&gt;"), "escaped in the HTML body");
    let att = ours.attachment(0).unwrap();
    assert_eq!((att.attachment_name(), att.contents()), (Some("preise.txt"), content.as_slice()));

    let theirs = python_reads(eml);
    assert_eq!(theirs["from"], "Relay Desk <relay@example.test>");
    assert_eq!(theirs["reply_to"], "Replies <replies@example.test>");
    assert_eq!(theirs["subject"], "Angebot für Zoë");
    let text = theirs["text"].as_str().unwrap().replace("\r\n", "\n");
    assert_eq!(text.trim_end(), "Guten Tag Zoë,\nPreis: 5 € <netto>");
    assert_eq!(theirs["attachments"][0]["name"], "preise.txt");
    assert_eq!(theirs["attachments"][0]["b64"], data_encoding::BASE64.encode(&content));
    assert_eq!(theirs["bcc"], Value::Null, "Bcc only in the envelope");
    assert_eq!(up.wait_captured("http-bcc@dest.example", 1).len(), 1, "the Bcc recipient got it");

    let audit = api.get(&format!("/v1/tenants/{}/audit?mailbox_id={relay}", t.id), &t.admin).await;
    let record = expect(&audit, 200)["items"][0].clone();
    assert_eq!((record["channel"].as_str(), record["outcome"].as_str()), (Some("http"), Some("accepted")));
    assert_eq!(record["recipients"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_requests_with_one_key_send_one_message() {
    let up = upstreams();
    let (api, _, u, _, _, template) = rig().await;
    let body = json!({"template_id": template, "variables": {"name": "Idem", "body": "once"},
        "to": ["http-idem@dest.example"]});
    let key = [("idempotency-key", "idem-20")];
    let answers = futures::future::join_all(
        (0..20).map(|_| api.call_with(Method::POST, "/v1/me/messages", Some(&u.token), Some(body.clone()), &key)),
    )
    .await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    assert!(statuses.contains(&201), "{statuses:?}");
    let ids: std::collections::BTreeSet<&str> =
        answers.iter().filter(|a| a.status == 201).filter_map(|a| a.body["message_id"].as_str()).collect();
    assert_eq!(ids.len(), 1, "every 201 names the one message: {ids:?}");
    up.wait_captured("http-idem@dest.example", 1);
    let replay = api.call_with(Method::POST, "/v1/me/messages", Some(&u.token), Some(body), &key).await;
    assert_eq!(expect(&replay, 201)["message_id"].as_str(), ids.first().copied());
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(up.captured("http-idem@dest.example").len(), 1, "sent exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_variables_never_become_headers_markup_or_a_crash() {
    let up = upstreams();
    let (api, _, u, _, _, template) = rig().await;
    let send = |vars: Value, to: &str| json!({"template_id": template, "variables": vars, "to": [to]});
    // A line break in the subject is refused before anything is built.
    let crlf = send(json!({"name": "x\r\nBcc: victim@dest.example", "body": "b"}), "http-inj1@dest.example");
    assert_eq!(expect(&api.post("/v1/me/messages", &u.token, crlf).await, 422)["field"], "subject");
    // Header text, template syntax and markup in the body stay body text.
    let vars = json!({"name": "{{ 7*7 }}", "body": "\r\nBcc: victim@dest.example\r\n\r\n<script>alert(1)</script>"});
    let sent = api.post("/v1/me/messages", &u.token, send(vars, "http-inj2@dest.example")).await;
    expect(&sent, 201);
    let eml = up.wait_captured("http-inj2@dest.example", 1).remove(0).1;
    let parsed = MessageParser::default().parse(&eml).unwrap();
    assert_eq!(parsed.subject(), Some("Angebot für {{ 7*7 }}"), "values are never evaluated");
    assert!(parsed.header("Bcc").is_none() && up.captured("victim@dest.example").is_empty(), "no header injection");
    let html = parsed.body_html(0).unwrap();
    assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"), "{html}");
    // Ten megabytes of variable: refused (the rendered body's limit), nothing sent, the API still answers.
    let huge = send(json!({"name": "n", "body": "x".repeat(10 * 1024 * 1024)}), "http-inj3@dest.example");
    let refused = api.post("/v1/me/messages", &u.token, huge).await;
    assert_eq!(expect(&refused, 422)["field"], "text_body");
    expect(&api.get("/v1/me/templates", &u.token).await, 200);
    std::thread::sleep(Duration::from_millis(300));
    assert!(up.captured("http-inj3@dest.example").is_empty());
}
