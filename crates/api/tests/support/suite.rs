//! The HTTP suite every backend runs (embedded, DynamoDB): the cases that
//! depend on the store behind the router.
#![allow(dead_code, clippy::unwrap_used)]

use super::*;
use futures::future::join_all;
use serde_json::json;

/// 20 concurrent creations with quota 1: one 201, nineteen 409 `quota_exceeded`;
/// then the operator raises the quota and the next creation succeeds.
pub async fn quota_race_over_http(api: TestApi) {
    let op = api.operator_token().await;
    let t = create_tenant(&api, &op, "race.example", 1).await;
    let path = format!("/v1/tenants/{}/mailboxes", t.id);
    let calls = (0..20).map(|i| {
        let (api, path, admin) = (api.clone(), path.clone(), t.admin.clone());
        async move { api.post(&path, &admin, mailbox_body(&format!("m{i}@race.example"))).await }
    });
    let answers = join_all(calls).await;
    let created = answers.iter().filter(|a| a.status.as_u16() == 201).count();
    let quota: Vec<_> = answers.iter().filter(|a| a.status.as_u16() == 409).collect();
    assert_eq!((created, quota.len()), (1, 19), "{:?}", answers.iter().map(|a| &a.raw).collect::<Vec<_>>());
    for a in &quota {
        assert_eq!(a.content_type, "application/problem+json");
        assert_eq!(a.body["type"], "quota_exceeded");
        assert!(a.body["detail"].as_str().unwrap().contains("ask the operator"));
    }
    let raise = api.patch(&format!("/v1/tenants/{}", t.id), &op, json!({"mailbox_quota": 2})).await;
    assert_eq!(expect(&raise, 200)["mailbox_quota"], 2);
    let own_raise = api.patch(&format!("/v1/tenants/{}", t.id), &t.admin, json!({"mailbox_quota": 50})).await;
    assert_eq!(expect(&own_raise, 403)["type"], "forbidden");
    expect(&api.post(&path, &t.admin, mailbox_body("next@race.example")).await, 201);
    expect(&api.post(&path, &t.admin, mailbox_body("over@race.example")).await, 409);
}

/// The README walk-through: create a mailbox, grant it to a group, see it
/// in a member's From dropdown (and not in a non-member's), hit the quota.
pub async fn mailbox_group_dropdown_walkthrough(api: TestApi) {
    let op = api.operator_token().await;
    let t = create_tenant(&api, &op, "walk.example", 1).await;
    let (alice, bob) = (create_user(&api, &t, "alice-w").await, create_user(&api, &t, "bob-w").await);
    let g = api.post(&format!("/v1/tenants/{}/groups", t.id), &t.admin, json!({"name": "Sales"})).await;
    let group = expect(&g, 201)["id"].as_str().unwrap().to_owned();
    let add = api
        .call(
            axum::http::Method::PUT,
            &format!("/v1/tenants/{}/groups/{group}/members/{}", t.id, alice.id),
            Some(&t.admin),
            None,
        )
        .await;
    expect(&add, 200);
    let m = api.post(&format!("/v1/tenants/{}/mailboxes", t.id), &t.admin, mailbox_body("Sales@Walk.example")).await;
    let mailbox = expect(&m, 201);
    assert_eq!(mailbox["address"], "sales@walk.example");
    let id = mailbox["id"].as_str().unwrap().to_owned();
    let access = json!({"restricted": true, "groups": [group]});
    expect(&api.put(&format!("/v1/tenants/{}/mailboxes/{id}/access", t.id), &t.admin, access).await, 200);
    let from = |a: &Answer| {
        a.body["from"].as_array().unwrap().iter().map(|m| m["address"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let alices = api.get("/v1/me/mailboxes", &alice.token).await;
    expect(&alices, 200);
    assert!(from(&alices).contains(&"sales@walk.example".to_owned()));
    let bobs = api.get("/v1/me/mailboxes", &bob.token).await;
    let bob_from = from(&bobs);
    assert!(
        !bob_from.contains(&"sales@walk.example".to_owned()) && bob_from.contains(&"system@walk.example".to_owned())
    );
    let over = api.post(&format!("/v1/tenants/{}/mailboxes", t.id), &t.admin, mailbox_body("more@walk.example")).await;
    assert_eq!(expect(&over, 409)["type"], "quota_exceeded");
    assert_eq!(over.content_type, "application/problem+json");
    let dup = api.post(&format!("/v1/tenants/{}/mailboxes", t.id), &t.admin, mailbox_body("SALES@walk.example")).await;
    assert_eq!(expect(&dup, 409)["type"], "conflict");
}

/// Validation names the field; another tenant's resources are 404; the
/// audit endpoint pages newest first.
pub async fn validation_isolation_and_audit(api: TestApi) {
    let op = api.operator_token().await;
    let (a, b) = (create_tenant(&api, &op, "va.example", 3).await, create_tenant(&api, &op, "vb.example", 3).await);
    let bad = api.post(&format!("/v1/tenants/{}/mailboxes", a.id), &a.admin, mailbox_body("not an address")).await;
    let problem = expect(&bad, 422);
    assert_eq!((problem["type"].as_str(), problem["field"].as_str()), (Some("validation_failed"), Some("address")));
    let mut remote = mailbox_body("r@va.example");
    remote["smtp"] = json!({"host": "smtp.example.com", "port": 25, "tls": "none", "username": "r"});
    let cleartext = api.post(&format!("/v1/tenants/{}/mailboxes", a.id), &a.admin, remote).await;
    assert_eq!(expect(&cleartext, 422)["field"], "smtp.tls");
    let junk = api
        .call(
            axum::http::Method::POST,
            &format!("/v1/tenants/{}/groups", a.id),
            Some(&a.admin),
            Some(json!({"nom": 1})),
        )
        .await;
    assert_eq!(expect(&junk, 422)["field"], "body");
    let cross = api.get(&format!("/v1/tenants/{}/mailboxes/{}", a.id, a.system_mailbox), &b.admin).await;
    assert_eq!(expect(&cross, 404)["type"], "not_found");
    let cross = api.get(&format!("/v1/tenants/{}/mailboxes/{}", b.id, a.system_mailbox), &b.admin).await;
    expect(&cross, 404);

    let tenant = sendas_core::TenantId::parse(&a.id).unwrap();
    let now = sendas_core::Timestamp::now();
    for i in 0..3 {
        let mut r =
            sendas_core::testing::fixtures::audit(tenant, sendas_core::Timestamp(now.millis() - 1000 * (3 - i)), None);
        r.smtp_code = 250 + i as u16;
        api.store.append_audit(&r).await.unwrap();
    }
    let mut deferred = sendas_core::testing::fixtures::audit(tenant, sendas_core::Timestamp(now.millis() - 5000), None);
    (deferred.smtp_code, deferred.outcome) = (451, sendas_core::model::AuditOutcome::Deferred);
    api.store.append_audit(&deferred).await.unwrap();
    let user = deferred.user_id.unwrap();
    let by_outcome = api.get(&format!("/v1/tenants/{}/audit?outcome=deferred", a.id), &a.admin).await;
    let items = expect(&by_outcome, 200)["items"].as_array().unwrap().clone();
    assert_eq!(
        (items.len(), items[0]["outcome"].as_str(), items[0]["smtp_code"].as_u64()),
        (1, Some("deferred"), Some(451))
    );
    let by_user = api.get(&format!("/v1/tenants/{}/audit?user_id={user}&outcome=accepted", a.id), &a.admin).await;
    assert!(expect(&by_user, 200)["items"].as_array().unwrap().is_empty(), "{}", by_user.raw);
    let by_user = api.get(&format!("/v1/tenants/{}/audit?user_id={user}", a.id), &a.admin).await;
    assert_eq!(expect(&by_user, 200)["items"].as_array().unwrap().len(), 1, "{}", by_user.raw);
    let bad = api.get(&format!("/v1/tenants/{}/audit?outcome=lost", a.id), &a.admin).await;
    assert_eq!(expect(&bad, 422)["field"], "outcome");
    let bad = api.get(&format!("/v1/tenants/{}/audit?user_id=alice", a.id), &a.admin).await;
    assert_eq!(expect(&bad, 422)["field"], "user_id");
    let page = api.get(&format!("/v1/tenants/{}/audit?limit=2", a.id), &a.admin).await;
    let v = expect(&page, 200);
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    assert_eq!(v["items"][0]["smtp_code"], 252);
    let next = v["next"].as_str().unwrap();
    let rest = api.get(&format!("/v1/tenants/{}/audit?limit=2&after={next}", a.id), &a.admin).await;
    assert_eq!(expect(&rest, 200)["items"][0]["smtp_code"], 250);
    let bad_time = api.get(&format!("/v1/tenants/{}/audit?from=yesterday", a.id), &a.admin).await;
    assert_eq!(expect(&bad_time, 422)["field"], "from");
    let other = api.get(&format!("/v1/tenants/{}/audit", a.id), &b.admin).await;
    expect(&other, 404);
}

/// ETags and If-Match on users, groups and mailboxes: every answer carries
/// the version it shows; a write pinned to an old version is `412` and
/// changes nothing; `*` and no `If-Match` write the current one; two
/// concurrent PATCHes of different fields both land.
pub async fn etags_and_if_match(api: TestApi) {
    use axum::http::Method;
    let op = api.operator_token().await;
    let t = create_tenant(&api, &op, "etag.example", 2).await;
    let u = create_user(&api, &t, "etag-user").await;
    let user_path = format!("/v1/tenants/{}/users/{}", t.id, u.id);
    let read = api.get(&user_path, &t.admin).await;
    assert_eq!((expect(&read, 200)["version"].as_u64(), read.etag.as_deref()), (Some(1), Some("\"1\"")));

    let pinned = |tag: &'static str| [("if-match", tag)];
    let renamed = api
        .call_with(Method::PATCH, &user_path, Some(&t.admin), Some(json!({"name": "Renamed"})), &pinned("\"1\""))
        .await;
    assert_eq!((expect(&renamed, 200)["name"].as_str(), renamed.etag.as_deref()), (Some("Renamed"), Some("\"2\"")));
    for stale in ["\"1\"", "W/\"2\"", "2", "\"1\", \"9\""] {
        let lost = api
            .call_with(
                Method::PATCH,
                &user_path,
                Some(&t.admin),
                Some(json!({"enabled": false})),
                &[("if-match", stale)],
            )
            .await;
        assert_eq!(expect(&lost, 412)["type"], "precondition_failed", "If-Match: {stale}");
        assert_eq!(lost.content_type, "application/problem+json");
    }
    let now = expect(&api.get(&user_path, &t.admin).await, 200).clone();
    assert_eq!((now["enabled"].as_bool(), now["version"].as_u64()), (Some(true), Some(2)), "a 412 changed nothing");
    let any =
        api.call_with(Method::PATCH, &user_path, Some(&t.admin), Some(json!({"enabled": false})), &pinned("*")).await;
    assert_eq!(any.etag.as_deref(), Some("\"3\""));

    let (a, b) = futures::join!(
        api.patch(&user_path, &t.admin, json!({"name": "Both"})),
        api.patch(&user_path, &t.admin, json!({"enabled": true}))
    );
    expect(&a, 200);
    expect(&b, 200);
    let both = expect(&api.get(&user_path, &t.admin).await, 200).clone();
    assert_eq!((both["name"].as_str(), both["enabled"].as_bool()), (Some("Both"), Some(true)), "an edit was lost");

    let g = api.post(&format!("/v1/tenants/{}/groups", t.id), &t.admin, json!({"name": "Tagged"})).await;
    let group_path = format!("/v1/tenants/{}/groups/{}", t.id, expect(&g, 201)["id"].as_str().unwrap());
    let renamed =
        api.call_with(Method::PATCH, &group_path, Some(&t.admin), Some(json!({"name": "T2"})), &pinned("\"1\"")).await;
    assert_eq!(renamed.etag.as_deref(), Some("\"2\""));
    let stale_delete = api.call_with(Method::DELETE, &group_path, Some(&t.admin), None, &pinned("\"1\"")).await;
    expect(&stale_delete, 412);
    expect(&api.get(&group_path, &t.admin).await, 200);
    expect(&api.call_with(Method::DELETE, &group_path, Some(&t.admin), None, &pinned("\"2\"")).await, 204);

    let m = api.post(&format!("/v1/tenants/{}/mailboxes", t.id), &t.admin, mailbox_body("tagged@etag.example")).await;
    let mailbox_path = format!("/v1/tenants/{}/mailboxes/{}", t.id, expect(&m, 201)["id"].as_str().unwrap());
    let read = api.get(&mailbox_path, &t.admin).await;
    assert_eq!(read.etag.as_deref(), Some("\"1\""));
    let mut body = mailbox_body("tagged@etag.example");
    body["display_name"] = json!("Tagged desk");
    let put = api.call_with(Method::PUT, &mailbox_path, Some(&t.admin), Some(body.clone()), &pinned("\"1\"")).await;
    assert_eq!((expect(&put, 200)["display_name"].as_str(), put.etag.as_deref()), (Some("Tagged desk"), Some("\"2\"")));
    let access = json!({"restricted": true, "users": [u.id]});
    let stale = api
        .call_with(
            Method::PUT,
            &format!("{mailbox_path}/access"),
            Some(&t.admin),
            Some(access.clone()),
            &pinned("\"1\""),
        )
        .await;
    expect(&stale, 412);
    let fresh = api
        .call_with(Method::PUT, &format!("{mailbox_path}/access"), Some(&t.admin), Some(access), &pinned("\"2\""))
        .await;
    assert_eq!((expect(&fresh, 200)["restricted"].as_bool(), fresh.etag.as_deref()), (Some(true), Some("\"3\"")));
}

/// Templates over HTTP: an admin's templates are offered to a user exactly
/// when the rule allows (enabled, scope, presets in the user's dropdowns);
/// a preset that is not a sender (or reply) mailbox and a source that does
/// not parse are `422` naming the field; replacing is versioned.
pub async fn templates_offered_by_the_rule(api: TestApi) {
    use axum::http::Method;
    let op = api.operator_token().await;
    let t = create_tenant(&api, &op, "tpl.example", 5).await;
    let u = create_user(&api, &t, "tpl-user").await;
    let mailboxes = format!("/v1/tenants/{}/mailboxes", t.id);
    let id_of = |a: &Answer| expect(a, 201)["id"].as_str().unwrap().to_owned();
    let open = id_of(&api.post(&mailboxes, &t.admin, mailbox_body("open@tpl.example")).await);
    let mut reply_only = mailbox_body("replies@tpl.example");
    reply_only["sender"] = json!(false);
    let reply_only = id_of(&api.post(&mailboxes, &t.admin, reply_only).await);
    let closed = id_of(&api.post(&mailboxes, &t.admin, mailbox_body("closed@tpl.example")).await);
    let access = json!({"restricted": true, "users": [], "groups": []});
    expect(&api.put(&format!("{mailboxes}/{closed}/access"), &t.admin, access).await, 200);
    let other = api.post(&format!("/v1/tenants/{}/companies", t.id), &t.admin, json!({"name": "Other"})).await;
    let other = id_of(&other);

    let templates = format!("/v1/tenants/{}/templates", t.id);
    let body = |name: &str, from: &str, reply: &str| {
        json!({"name": name, "global": true, "subject": "Hello {{ name }}", "text_body": "Dear {{ name }},\n{{ text }}",
               "html_body": "<p>{{ text }}</p>", "from_mailbox_id": from, "reply_to_mailbox_id": reply})
    };
    let offered = api.post(&templates, &t.admin, body("Offered", &open, &reply_only)).await;
    let offered_view = expect(&offered, 201).clone();
    assert_eq!(offered_view["variables"], json!(["name", "text"]));
    assert_eq!(offered.etag.as_deref(), Some("\"1\""));
    id_of(&api.post(&templates, &t.admin, body("Closed From", &closed, &open)).await);
    id_of(&api.post(&templates, &t.admin, body("Closed Reply-To", &open, &closed)).await);
    let mut disabled = body("Disabled", &open, &open);
    disabled["enabled"] = json!(false);
    id_of(&api.post(&templates, &t.admin, disabled).await);
    let mut elsewhere = body("Other company", &open, &open);
    (elsewhere["global"], elsewhere["company_id"]) = (json!(false), json!(other));
    id_of(&api.post(&templates, &t.admin, elsewhere).await);

    let not_a_sender = api.post(&templates, &t.admin, body("Bad", &reply_only, &open)).await;
    assert_eq!(expect(&not_a_sender, 422)["field"], "from_mailbox_id");
    let mut broken = body("Broken", &open, &open);
    broken["subject"] = json!("Hello {{ name");
    assert_eq!(expect(&api.post(&templates, &t.admin, broken).await, 422)["field"], "subject");
    let mut includes = body("Includes", &open, &open);
    includes["text_body"] = json!("{% include '/etc/passwd' %}");
    assert_eq!(expect(&api.post(&templates, &t.admin, includes).await, 422)["field"], "text_body");

    let mine = api.get("/v1/me/templates", &u.token).await;
    let names: Vec<&str> = expect(&mine, 200).as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Offered"], "only the template whose every part the rule allows");
    let listed = expect(&api.get(&templates, &t.admin).await, 200)["items"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 5, "the admin sees every template");
    for (name, status, kind) in [
        ("Closed From", 403, "sender_not_allowed"),
        ("Closed Reply-To", 403, "sender_not_allowed"),
        ("Disabled", 422, "validation_failed"),
        ("Other company", 422, "validation_failed"),
    ] {
        let id = listed.iter().find(|v| v["name"] == name).unwrap()["id"].clone();
        let send = json!({"template_id": id, "variables": {"name": "n", "text": "t"}, "to": ["x@example.net"]});
        let refused = api.post("/v1/me/messages", &u.token, send).await;
        assert_eq!(expect(&refused, status)["type"], kind, "sending with {name}");
    }

    let path = format!("{templates}/{}", offered_view["id"].as_str().unwrap());
    let stale = api
        .call_with(Method::PUT, &path, Some(&t.admin), Some(body("Renamed", &open, &open)), &[("if-match", "\"0\"")])
        .await;
    expect(&stale, 412);
    let fresh = api
        .call_with(Method::PUT, &path, Some(&t.admin), Some(body("Renamed", &open, &open)), &[("if-match", "\"1\"")])
        .await;
    assert_eq!((expect(&fresh, 200)["name"].as_str(), fresh.etag.as_deref()), (Some("Renamed"), Some("\"2\"")));
    expect(&api.get(&path, &u.token).await, 403);
    expect(&api.delete(&path, &t.admin).await, 204);
    expect(&api.get(&path, &t.admin).await, 404);
    assert!(expect(&api.get("/v1/me/templates", &u.token).await, 200).as_array().unwrap().is_empty());
}

/// Sending over HTTP through the system relay (an outbox directory): a
/// template with preset From and Reply-To, the Reply-To changed by the user
/// to another of its dropdown, an attachment; the message read back by
/// mail-parser holds exactly that; the audit record says `http`; a From the
/// user may not use is `403 sender_not_allowed` and sends nothing; an
/// `Idempotency-Key` sends once and replays the answer.
pub async fn send_over_http(api: TestApi) {
    use axum::http::Method;
    use mail_parser::{MessageParser, MimeHeaders};
    let outbox = tempfile::tempdir().unwrap();
    let op = api.operator_token().await;
    let relay = json!({"kind": "outbox", "dir": outbox.path().to_str().unwrap()});
    expect(&api.put("/v1/system-relay", &op, relay).await, 200);
    let t = create_tenant(&api, &op, "send.example", 5).await;
    let u = create_user(&api, &t, "sender").await;
    let mailboxes = format!("/v1/tenants/{}/mailboxes", t.id);
    let id_of = |a: &Answer| expect(a, 201)["id"].as_str().unwrap().to_owned();
    let info = id_of(&api.post(&mailboxes, &t.admin, mailbox_body("info@send.example")).await);
    let support = id_of(&api.post(&mailboxes, &t.admin, mailbox_body("support@send.example")).await);
    let closed = id_of(&api.post(&mailboxes, &t.admin, mailbox_body("ceo@send.example")).await);
    let access = json!({"restricted": true, "users": [], "groups": []});
    expect(&api.put(&format!("{mailboxes}/{closed}/access"), &t.admin, access).await, 200);
    let tpl = json!({"name": "Welcome", "global": true, "subject": "Willkommen, {{ name }}",
        "text_body": "Hallo {{ name }},\n\n{{ line }}\n", "html_body": "<p>Hallo {{ name }}</p><p>{{ line }}</p>",
        "from_mailbox_id": info, "reply_to_mailbox_id": info});
    let template = id_of(&api.post(&format!("/v1/tenants/{}/templates", t.id), &t.admin, tpl).await);

    let attachment = data_encoding::BASE64.encode(b"%PDF-1.4\nhello\n%%EOF\n");
    let message = json!({"template_id": template, "variables": {"name": "Jürgen", "line": "<b>5 > 3</b>"},
        "reply_to_mailbox_id": support, "to": ["kunde@example.net"], "cc": ["copy@example.net"],
        "bcc": ["hidden@example.net"],
        "attachments": [{"filename": "info.pdf", "content_base64": attachment}]});
    let sent = api.post("/v1/me/messages", &u.token, message.clone()).await;
    let view = expect(&sent, 201).clone();
    assert_eq!((view["from_mailbox_id"].as_str(), view["recipients"].as_u64()), (Some(info.as_str()), Some(3)));
    let files: Vec<_> = std::fs::read_dir(outbox.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "one message in the outbox: {files:?}");
    let raw = std::fs::read(&files[0]).unwrap();
    let text = String::from_utf8_lossy(&raw);
    let envelope = text.lines().find(|l| l.starts_with("X-Sendas-Envelope-To:")).unwrap_or_default();
    assert!(envelope.contains("<hidden@example.net>"), "Bcc is a recipient: {envelope}");
    let headers: String = text.lines().filter(|l| !l.starts_with("X-Sendas-Envelope-")).collect();
    assert!(!headers.contains("hidden@example.net"), "Bcc is only in the envelope:\n{text}");
    let parsed = MessageParser::default().parse(&raw).unwrap();
    let first =
        |a: Option<&mail_parser::Address>| a.and_then(|a| a.first()).and_then(|a| a.address()).map(str::to_owned);
    assert_eq!(first(parsed.from()).as_deref(), Some("info@send.example"));
    assert_eq!(first(parsed.reply_to()).as_deref(), Some("support@send.example"), "the user's Reply-To");
    assert_eq!(first(parsed.to()).as_deref(), Some("kunde@example.net"));
    assert_eq!(parsed.subject(), Some("Willkommen, Jürgen"));
    assert_eq!(parsed.message_id(), view["message_id"].as_str().map(|m| m.trim_matches(['<', '>'])));
    let body = parsed.body_text(0).unwrap().replace("\r\n", "\n");
    assert!(body.contains("Hallo Jürgen,\n\n<b>5 > 3</b>"), "{body}");
    assert!(parsed.body_html(0).unwrap().contains("<p>&lt;b&gt;5 &gt; 3&lt;&#x2f;b&gt;</p>"), "escaped in HTML");
    let att = parsed.attachment(0).expect("the attachment");
    assert_eq!((att.attachment_name(), att.contents()), (Some("info.pdf"), &b"%PDF-1.4\nhello\n%%EOF\n"[..]));
    assert_eq!(att.content_type().map(|c| (c.ctype(), c.subtype())), Some(("application", Some("pdf"))), "sniffed");

    let audit = api.get(&format!("/v1/tenants/{}/audit?mailbox_id={info}", t.id), &t.admin).await;
    let record = expect(&audit, 200)["items"][0].clone();
    assert_eq!((record["channel"].as_str(), record["outcome"].as_str()), (Some("http"), Some("accepted")));
    assert_eq!(record["user_id"].as_str(), Some(u.id.as_str()));

    let mut forbidden = message.clone();
    forbidden["from_mailbox_id"] = json!(closed);
    let refused = api.post("/v1/me/messages", &u.token, forbidden).await;
    assert_eq!(expect(&refused, 403)["type"], "sender_not_allowed");
    let mut forbidden = message.clone();
    forbidden["reply_to_mailbox_id"] = json!(closed);
    assert_eq!(expect(&api.post("/v1/me/messages", &u.token, forbidden).await, 403)["type"], "sender_not_allowed");
    let rejected = api.get(&format!("/v1/tenants/{}/audit?outcome=rejected&user_id={}", t.id, u.id), &t.admin).await;
    let rejected = expect(&rejected, 200)["items"].as_array().unwrap().clone();
    assert_eq!(rejected.len(), 2, "both refused senders are audited: {rejected:?}");
    assert!(rejected.iter().all(|r| r["channel"] == "http" && r["smtp_code"] == 550), "{rejected:?}");
    let mut missing = message.clone();
    missing["variables"] = json!({"name": "x"});
    assert_eq!(expect(&api.post("/v1/me/messages", &u.token, missing).await, 422)["field"], "variables");
    let mut exe = message.clone();
    exe["attachments"] =
        json!([{"filename": "run.exe", "content_base64": data_encoding::BASE64.encode(b"MZ\x90\x00")}]);
    assert_eq!(expect(&api.post("/v1/me/messages", &u.token, exe.clone()).await, 422)["field"], "attachments");
    assert_eq!(std::fs::read_dir(outbox.path()).unwrap().count(), 1, "nothing refused was sent");
    let allow = json!({"allow_executable_attachments": true});
    let tenant = api.call(Method::PATCH, &format!("/v1/tenants/{}", t.id), Some(&op), Some(allow)).await;
    assert_eq!(expect(&tenant, 200)["allow_executable_attachments"], true);
    expect(&api.post("/v1/me/messages", &u.token, exe).await, 201);
    let allow = json!({"allow_executable_attachments": false});
    expect(&api.call(Method::PATCH, &format!("/v1/tenants/{}", t.id), Some(&op), Some(allow)).await, 200);
    assert_eq!(std::fs::read_dir(outbox.path()).unwrap().count(), 2, "sent once the operator allowed it");

    let key = [("idempotency-key", "order-4711")];
    let once = api.call_with(Method::POST, "/v1/me/messages", Some(&u.token), Some(message.clone()), &key).await;
    let again = api.call_with(Method::POST, "/v1/me/messages", Some(&u.token), Some(message.clone()), &key).await;
    assert_eq!(expect(&once, 201)["message_id"], expect(&again, 201)["message_id"], "the answer is replayed");
    assert_eq!(std::fs::read_dir(outbox.path()).unwrap().count(), 3, "a retried request sends once");
    let mut other = message.clone();
    other["to"] = json!(["else@example.net"]);
    let reused = api.call_with(Method::POST, "/v1/me/messages", Some(&u.token), Some(other), &key).await;
    assert_eq!(expect(&reused, 422)["field"], "Idempotency-Key");
}

/// Sending limits: the operator sets the tenant's (defaults within ceilings), an
/// admin sets users' and mailboxes' within the ceilings, HTTP send answers 429
/// with Retry-After over a limit, and the refusal is audited.
pub async fn sending_limits_within_ceilings(api: TestApi) {
    let outbox = tempfile::tempdir().unwrap();
    let op = api.operator_token().await;
    let relay = json!({"kind": "outbox", "dir": outbox.path().to_str().unwrap()});
    expect(&api.put("/v1/system-relay", &op, relay).await, 200);
    let t = create_tenant(&api, &op, "limits.example", 5).await;
    let tenant = format!("/v1/tenants/{}", t.id);
    let over =
        json!({"limits": {"user_ceiling": {"messages_per_minute": 30}, "user_default": {"messages_per_minute": 31}}});
    let refused = api.patch(&tenant, &op, over).await;
    assert_eq!(expect(&refused, 422)["field"], "limits.user_default", "a default above its ceiling");
    let limits = json!({"tenant": {"recipients_per_day": 10000}, "user_ceiling": {"messages_per_minute": 30},
        "mailbox_ceiling": {"messages_per_day": 1000}, "user_default": {"messages_per_day": 5}});
    let view = expect(&api.patch(&tenant, &op, json!({"limits": limits})).await, 200).clone();
    assert_eq!(view["limits"]["tenant"]["recipients_per_day"], 10000);
    assert_eq!(view["limits"]["user_ceiling"]["messages_per_minute"], 30);
    assert!(view["limits"]["mailbox_default"]["messages_per_day"].is_null());
    assert_eq!(api.patch(&tenant, &t.admin, json!({"limits": limits})).await.status.as_u16(), 403, "operator only");

    let users = format!("{tenant}/users");
    let body = |n: u32| {
        json!({"login": format!("u{n}"), "name": "U", "companies": [t.company],
        "limits": {"messages_per_minute": n}})
    };
    let refused = api.post(&users, &t.admin, body(31)).await;
    assert_eq!(expect(&refused, 422)["field"], "limits");
    assert!(refused.raw.contains("messages_per_minute"), "{}", refused.raw);
    let user = expect(&api.post(&users, &t.admin, body(30)).await, 201).clone();
    assert_eq!(user["limits"]["messages_per_minute"], 30);
    let user_path = format!("{users}/{}", user["id"].as_str().unwrap());
    let patch = |n: u32| json!({"limits": {"messages_per_minute": n, "messages_per_day": 1}});
    assert_eq!(expect(&api.patch(&user_path, &t.admin, patch(50)).await, 422)["field"], "limits");
    let patched = expect(&api.patch(&user_path, &t.admin, patch(10)).await, 200).clone();
    assert_eq!(
        (patched["limits"]["messages_per_minute"].as_u64(), patched["limits"]["messages_per_day"].as_u64()),
        (Some(10), Some(1))
    );

    let mailboxes = format!("{tenant}/mailboxes");
    let with = |day: u32| {
        let mut b = mailbox_body("info@limits.example");
        b["limits"] = json!({"messages_per_day": day});
        b["display_name_policy"] = json!("fixed");
        b
    };
    assert_eq!(expect(&api.post(&mailboxes, &t.admin, with(2000)).await, 422)["field"], "limits");
    let mailbox = expect(&api.post(&mailboxes, &t.admin, with(500)).await, 201).clone();
    assert_eq!(
        (mailbox["limits"]["messages_per_day"].as_u64(), mailbox["display_name_policy"].as_str()),
        (Some(500), Some("fixed"))
    );
    // A replacement that leaves the new fields out keeps them; a ceiling lowered later caps the
    // mailbox's limit without blocking its other edits.
    let mailbox_path = format!("{mailboxes}/{}", mailbox["id"].as_str().unwrap());
    let mut renamed = mailbox_body("info@limits.example");
    renamed["display_name"] = json!("Info desk");
    let kept = expect(&api.put(&mailbox_path, &t.admin, renamed.clone()).await, 200).clone();
    assert_eq!(
        (kept["limits"]["messages_per_day"].as_u64(), kept["display_name_policy"].as_str()),
        (Some(500), Some("fixed"))
    );
    let mut lowered = limits.clone();
    lowered["mailbox_ceiling"] = json!({"messages_per_day": 100});
    lowered["tenant"] = json!({"recipients_per_day": 10000, "recipients_per_minute": 2});
    expect(&api.patch(&tenant, &op, json!({"limits": lowered})).await, 200);
    renamed["limits"] = json!({"messages_per_day": 500});
    expect(&api.put(&mailbox_path, &t.admin, renamed).await, 200);

    // Over the user's limit of 1 message a day, HTTP send answers 429 and sends nothing.
    let token = {
        let id: sendas_core::UserId = user["id"].as_str().unwrap().parse().unwrap();
        let tenant_id: sendas_core::TenantId = t.id.parse().unwrap();
        let role = sendas_core::model::Role::User { tenant_id, user_id: id };
        let issued = sendas_core::service::tokens::mint(role, sendas_core::model::Name::parse("t").unwrap());
        api.store.create_token(&issued.token).await.unwrap();
        secrecy::ExposeSecret::expose_secret(&issued.text).to_owned()
    };
    let message = json!({"from_mailbox_id": mailbox["id"], "to": ["a@example.net"], "subject": "s", "text_body": "b"});
    let mut three = message.clone();
    three["to"] = json!(["a@example.net", "b@example.net", "c@example.net"]);
    let never = api.post("/v1/me/messages", &token, three).await;
    assert_eq!(expect(&never, 422)["field"], "to", "3 recipients never fit a limit of 2: retrying cannot help");
    expect(&api.post("/v1/me/messages", &token, message.clone()).await, 201);
    let limited = api.post("/v1/me/messages", &token, message).await;
    assert_eq!(expect(&limited, 429)["type"], "sending_limit_reached");
    assert!(
        limited.body["detail"].as_str().unwrap().contains("user's sending limit per day (1 messages)"),
        "{}",
        limited.raw
    );
    let seconds: u64 = limited.retry_after.as_deref().unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&seconds), "{seconds}");
    assert_eq!(std::fs::read_dir(outbox.path()).unwrap().count(), 1, "nothing sent over the limit");
    let deferred = api.get(&format!("{tenant}/audit?outcome=deferred"), &t.admin).await;
    let items = expect(&deferred, 200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!((items[0]["smtp_code"].as_u64(), items[0]["channel"].as_str()), (Some(451), Some("http")));
}
