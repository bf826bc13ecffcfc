#!/usr/bin/env python3
"""Legitimate mail written by Python's `email` package (policies default,
SMTP, SMTPUTF8 and compat32; EmailMessage and the legacy email.mime
classes) and put on the wire by `smtplib.SMTP.send_message` against a
loopback sink (corpuslib.SmtpSink): the files hold exactly the DATA that
smtplib sent.

Usage: python_email.py OUTDIR
Deterministic: fixed dates, Message-IDs and MIME boundaries.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import smtplib
import sys
from email.headerregistry import Address
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from pathlib import Path

import corpuslib

OUT = Path(sys.argv[1])
TZ = dt.timezone(dt.timedelta(hours=1))
START = dt.datetime(2024, 3, 1, 9, 0, 0, tzinfo=TZ)
DEFAULT, SMTP, SMTPUTF8 = email.policy.default, email.policy.SMTP, email.policy.SMTPUTF8

# A 1x1 PNG and a tiny PDF: attachments stay small.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5e1"
    "c2d00000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

sink = corpuslib.SmtpSink()
counter = 0
generated: list[str] = []


def digits(name: str, n: int = 19) -> str:
    return str(int(hashlib.sha256(name.encode()).hexdigest(), 16))[:n]


def date(i: int) -> str:
    return format_datetime(START + dt.timedelta(minutes=7 * i))


def msgid(name: str, domain: str = "tenant.example") -> str:
    # The shape email.utils.make_msgid() gives, with fixed numbers.
    return f"<{1709280000 + len(name)}{digits(name, 2)}.{digits(name + 'pid', 5)}.{digits(name)}@{domain}>"


def fix_boundaries(msg: Message, name: str) -> None:
    # The shape email.generator gives ('=' * 15 + 19 digits + '=='), with fixed numbers.
    for i, part in enumerate(msg.walk()):
        if part.is_multipart():
            part.set_boundary("=" * 15 + digits(f"{name}/{i}") + "==")


def new(name: str, policy=DEFAULT, *, frm="Alice Tenant <a@tenant.example>", to="Bob Example <bob@example.net>", subject="Hello") -> EmailMessage:
    global counter
    counter += 1
    msg = EmailMessage(policy=policy)
    msg["From"] = frm
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = date(counter)
    msg["Message-ID"] = msgid(name)
    return msg


def send(name: str, msg: Message, envelope: tuple[str, list[str]] | None = None) -> None:
    """Hands msg to smtplib and stores what went over the wire as python-NAME.eml."""
    fix_boundaries(msg, name)
    before = len(sink.messages)
    with smtplib.SMTP("127.0.0.1", sink.port, local_hostname="client.tenant.example") as s:
        if envelope:
            # What send_message does, spelled out: flatten with CRLF, then sendmail().
            s.sendmail(envelope[0], envelope[1], msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))
        else:
            s.send_message(msg)
    assert len(sink.messages) == before + 1
    fname = f"python-{name}.eml"
    corpuslib.write(OUT, fname, sink.messages[-1]["data"])
    generated.append(fname)


def legacy(name: str, msg: Message, frm: str, to: str, subject, i: int | None = None) -> Message:
    """Top-level headers of a compat32 (email.mime) message, in the order Python's docs show."""
    global counter
    counter += 1
    msg["Subject"] = subject
    msg["From"] = frm
    msg["To"] = to
    msg["Date"] = date(counter)
    msg["Message-ID"] = msgid(name)
    return msg


# ---------------------------------------------------------------- policy.default
m = new("default-plain", subject="Lunch on Friday?")
m.set_content("Hi Bob,\n\nare we still on for lunch on Friday at noon?\n\nAlice\n")
send("default-plain", m)

m = new("smtp-policy-plain", SMTP, subject="Minutes of the weekly meeting")
m.set_content("Hi all,\n\nthe minutes are below.\n\n1. Budget\n2. Hiring\n\nAlice\n")
send("smtp-policy-plain", m)

m = new("default-quoted-pair-name", frm=Address('Ann "Boss" Tenant', "a", "tenant.example"), subject="Quick question")
m.set_content("Do you have a minute today?\n\nAnn\n")
send("default-quoted-pair-name", m)

m = new("default-backslash-name", frm=Address("TENANT\\alice", "a", "tenant.example"), subject="Password policy")
m.set_content("The new password policy starts on Monday.\n")
send("default-backslash-name", m)

m = new("default-comma-name", frm=Address("Tenant, Alice", "a", "tenant.example"), subject="Re: contract")
m["In-Reply-To"] = "<contract-1@example.net>"
m["References"] = "<contract-1@example.net>"
m.set_content("Signed copy follows by post.\n")
send("default-comma-name", m)

m = new("default-parens-name", frm=Address("Alice Tenant (Sales)", "a", "tenant.example"), subject="Offer 2024-117")
m.set_content("Please find our offer below.\n")
send("default-parens-name", m)

m = new("default-utf8-name", frm=Address("Jürgen Müller", "a", "tenant.example"), to="Zoë Faure <zoe@example.org>", subject="Grüße aus München")
m.set_content("Hallo Zoë,\n\nviele Grüße aus München!\n\nJürgen\n")
send("default-utf8-name", m)

m = new("default-utf8-name-comma", frm=Address("Müller, Jürgen", "a", "tenant.example"), subject="Rückfrage zur Rechnung")
m.set_content("Guten Tag,\n\nzur Rechnung 4711 habe ich eine Rückfrage.\n")
send("default-utf8-name-comma", m)

m = new("default-alabel-from", frm=Address("Anaïs Tenant", "a", "xn--tnant-bsa.example"), subject="Nouvelle adresse")
m.set_content("Bonjour,\n\nvoici ma nouvelle adresse.\n")
send("default-alabel-from", m)

m = new("default-cjk-name", frm=Address("山田 太郎", "a", "tenant.example"), to=Address("佐藤 花子", "hanako", "example.jp"), subject="会議の件")
m.set_content("佐藤様\n\n明日の会議は10時からです。\n\n山田\n")
send("default-cjk-name", m)

m = new("default-emoji-zwj-name", frm=Address("👩\u200d💻 Alice Tenant", "a", "tenant.example"), subject="Deploy done 🚀")
m.set_content("The deploy finished without errors.\n")
send("default-emoji-zwj-name", m)

m = new("default-emoji-variation-selector", frm=Address("☎\ufe0f Support Team", "shared", "tenant.example"), subject="Your ticket #8812")
m.set_content("Thank you for contacting support ❤\ufe0f. We will reply soon.\n")
send("default-emoji-variation-selector", m)

m = new("default-emoji-skin-tone-flag", frm=Address("Alice 👋🏽 🇩🇪", "a", "tenant.example"), subject="Hallo aus Berlin")
m.set_content("Liebe Grüße 👋🏽\n")
send("default-emoji-skin-tone-flag", m)

m = new("default-long-display-name", frm=Address("Alice Tenant – Head of International Customer Success and Partner Operations, EMEA Region", "a", "tenant.example"), subject="Partner summit")
m.set_content("See you at the partner summit.\n")
send("default-long-display-name", m)

m = new("default-long-subject", subject="Follow-up on the quarterly business review: revenue numbers, hiring plan for the second half, the new office lease in Hamburg, and the open questions from the board about the data protection audit")
m.set_content("See subject.\n")
send("default-long-subject", m)

m = new("default-long-subject-utf8", subject="Nachbereitung der Quartalsbesprechung: Umsatzzahlen, Einstellungsplan für das zweite Halbjahr, der neue Büromietvertrag in Köln und die offenen Fragen des Aufsichtsrats zur Datenschutzprüfung")
m.set_content("Siehe Betreff.\n")
send("default-long-subject-utf8", m)

m = new("default-references-30", subject="Re: Release planning 2024.3")
refs = [f"<thread-{i:02d}.{digits(str(i), 8)}@example.net>" for i in range(1, 31)]
m["In-Reply-To"] = refs[-1]
m["References"] = " ".join(refs)
m.set_content("Agreed, let's ship on Tuesday.\n\n> Tuesday works for me.\n")
send("default-references-30", m)

m = new("default-on-behalf", frm=Address("Tenant Support", "shared", "tenant.example"), subject="Your request 5521")
m["Sender"] = Address("Alice Tenant", "a", "tenant.example")
m.set_content("Hello,\n\nwe have received your request.\n\nAlice, for the support team\n")
send("default-on-behalf", m)

m = new("default-two-from-sender", frm="Alice Tenant <a@tenant.example>, Tenant Support <shared@tenant.example>", subject="Joint statement")
m["Sender"] = "Alice Tenant <a@tenant.example>"
m.set_content("This statement is from both of us.\n")
send("default-two-from-sender", m)

m = new("default-reply-to-other", subject="Newsletter feedback")
m["Reply-To"] = "Feedback <reply@tenant.example>"
m.set_content("Please send your feedback to the address in Reply-To.\n")
send("default-reply-to-other", m)

m = new("default-reply-to-two", subject="Team offsite")
m["Reply-To"] = "Replies <reply@tenant.example>, Tenant Support <shared@tenant.example>"
m.set_content("Answers go to both addresses.\n")
send("default-reply-to-two", m)

m = new("default-read-receipt", subject="Signed contract")
m["Disposition-Notification-To"] = "Alice Tenant <a@tenant.example>"
m.set_content("Please confirm receipt of the signed contract.\n")
send("default-read-receipt", m)

m = new("default-priority-high", subject="URGENT: server room access")
m["X-Priority"] = "1 (Highest)"
m["Importance"] = "High"
m.set_content("The server room badge reader is broken; please use the side door.\n")
send("default-priority-high", m)

m = new("default-undisclosed-recipients", to="undisclosed-recipients:;", subject="Office closed on Friday")
m["Bcc"] = "staff-1@example.net, staff-2@example.org"
m.set_content("The office is closed on Friday.\n")
send("default-undisclosed-recipients", m)

m = new("default-cc-many", to="Bob Example <bob@example.net>, Carol <carol@example.org>", subject="Kick-off")
m["Cc"] = ", ".join(f"Team member {i} <member{i}@example.com>" for i in range(1, 21))
m.set_content("Kick-off is on Monday.\n")
send("default-cc-many", m)

m = new("default-alternative-related", subject="Our new logo")
m.set_content("Our new logo is attached as an image in the HTML part.\n")
m.add_alternative('<html><body><p>Our new logo:</p><img src="cid:logo.1709280000@tenant.example"></body></html>\n', subtype="html")
m.get_payload()[1].add_related(PNG, "image", "png", cid="<logo.1709280000@tenant.example>", filename="logo.png")
send("default-alternative-related", m)

m = new("default-rfc2231-long-filename", subject="Quartalszahlen")
m.set_content("Anbei die Zahlen.\n")
m.add_attachment(PDF, "application", "pdf", filename="Übersicht der Quartalszahlen 2024 – Vertrieb, Marketing und Kundenservice (endgültige Fassung).pdf")
send("default-rfc2231-long-filename", m)

m = new("default-rfc2231-cjk-filename", frm=Address("山田 太郎", "a", "tenant.example"), subject="見積書の送付")
m.set_content("見積書を添付します。\n")
m.add_attachment(PDF, "application", "pdf", filename="御見積書_株式会社テナント_2024年3月分.pdf")
send("default-rfc2231-cjk-filename", m)

m = new("default-calendar-request", subject="Invitation: Design review @ Tue 5 Mar 2024 10:00 - 11:00 (CET)")
ics = "\r\n".join([
    "BEGIN:VCALENDAR", "PRODID:-//sendas corpus//Python email//EN", "VERSION:2.0", "CALSCALE:GREGORIAN", "METHOD:REQUEST",
    "BEGIN:VEVENT", "DTSTART:20240305T090000Z", "DTEND:20240305T100000Z", "DTSTAMP:20240301T090000Z",
    "ORGANIZER;CN=Alice Tenant:mailto:a@tenant.example", "UID:design-review-20240305@tenant.example",
    "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Bob Example:mailto:bob@example.net",
    "SUMMARY:Design review", "LOCATION:Room 4.12", "SEQUENCE:0", "STATUS:CONFIRMED", "TRANSP:OPAQUE",
    "END:VEVENT", "END:VCALENDAR", "",
])
m.set_content("You have been invited to: Design review, Tue 5 Mar 2024 10:00-11:00 (CET), Room 4.12\n")
m.add_alternative(ics, subtype="calendar", params={"method": "REQUEST"})
m.add_attachment(ics.encode(), "application", "ics", filename="invite.ics")
send("default-calendar-request", m)

inner = EmailMessage(policy=DEFAULT)
inner["From"] = "Carol Customer <carol@example.org>"
inner["To"] = "Alice Tenant <a@tenant.example>"
inner["Reply-To"] = "Carol Customer <carol@example.org>"
inner["Subject"] = "Complaint about order 1187"
inner["Date"] = "Thu, 29 Feb 2024 17:12:40 +0100"
inner["Message-ID"] = "<order-1187-complaint@example.org>"
inner.set_content("My order arrived damaged.\n")
m = new("default-forward-rfc822", subject="Fwd: Complaint about order 1187")
m.set_content("Bob, can you take this one? Original attached.\n")
m.add_attachment(inner)
send("default-forward-rfc822", m)

m = new("default-forward-inline", subject="Fwd: Complaint about order 1187")
m.set_content(
    "Bob, can you take this one?\n\n---------- Forwarded message ---------\n"
    "From: Carol Customer <carol@example.org>\nDate: Thu, 29 Feb 2024 17:12:40 +0100\n"
    "Subject: Complaint about order 1187\nTo: Alice Tenant <a@tenant.example>\n\nMy order arrived damaged.\n"
)
send("default-forward-inline", m)

m = new("default-line-998", subject="Export row")
m.set_content("Row follows:\n" + "x" * 998 + "\nend\n", cte="7bit")
send("default-line-998", m)

m = new("default-list-headers", frm=Address("Tenant Newsletter", "shared", "tenant.example"), to="subscribers@example.net", subject="Tenant news, March 2024")
m["List-Id"] = "Tenant news <news.tenant.example>"
m["List-Unsubscribe"] = "<mailto:unsubscribe@tenant.example?subject=unsubscribe>, <https://tenant.example/unsubscribe/8f2a1c>"
m["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
m["List-Post"] = "NO"
m["List-Archive"] = "<https://tenant.example/news/archive>"
m["Precedence"] = "bulk"
m["Reply-To"] = "Tenant Newsletter <reply@tenant.example>"
m.set_content("This month: new offices, new colleagues.\n")
m.add_alternative("<html><body><h1>Tenant news</h1><p>This month: new offices, new colleagues.</p></body></html>\n", subtype="html")
send("default-list-headers", m)

m = new("default-bcc-removed", subject="Board pack")
m["Bcc"] = "Archive <archive@example.com>"
m.set_content("The board pack is ready.\n")
send("default-bcc-removed", m)

# ---------------------------------------------------------------- policy.SMTPUTF8 (raw UTF-8 headers)
m = new("smtputf8-utf8-name", SMTPUTF8, frm=Address("Jürgen Müller", "a", "tenant.example"), subject="Grüße aus München")
m.set_content("Servus!\n")
send("smtputf8-utf8-name", m)

m = new("smtputf8-ulabel-from", SMTPUTF8, frm=Address("Anaïs Tenant", "a", "ténant.example"), to="Élodie <elodie@exemple.example>", subject="Réunion de lundi")
m.set_content("Bonjour Élodie,\n\nla réunion de lundi est déplacée à 14 h.\n\nAnaïs\n")
send("smtputf8-ulabel-from", m)

m = new("smtputf8-ulabel-reply-to", SMTPUTF8, subject="Antworten bitte an die neue Adresse")
m["Reply-To"] = Address("Anaïs Tenant", "a", "ténant.example")
m.set_content("Ab sofort gilt die Adresse mit é.\n")
send("smtputf8-ulabel-reply-to", m)

m = new("smtputf8-cjk-name", SMTPUTF8, frm=Address("山田 太郎", "a", "tenant.example"), subject="会議の件について")
m.set_content("明日の会議は10時からです。\n", cte="8bit")
send("smtputf8-cjk-name", m)

m = new("smtputf8-emoji-zwj-name", SMTPUTF8, frm=Address("Alice Tenant 🧑🏽\u200d💻", "a", "tenant.example"), subject="Code review 👀")
m.set_content("Please review PR 42.\n")
send("smtputf8-emoji-zwj-name", m)

m = new("smtputf8-family-emoji-name", SMTPUTF8, frm=Address("👨\u200d👩\u200d👧 Tenant Family Office", "shared", "tenant.example"), subject="Family day")
m.set_content("Family day is on 15 June.\n")
send("smtputf8-family-emoji-name", m)

m = new("smtputf8-cyrillic-name", SMTPUTF8, frm=Address("Иван Петров", "a", "tenant.example"), subject="Отчёт за февраль")
m.set_content("Коллеги, отчёт за февраль во вложении.\n")
m.add_attachment("дата;сумма\n2024-02-29;100\n".encode(), "text", "csv", filename="отчёт-февраль.csv")
send("smtputf8-cyrillic-name", m)

# ---------------------------------------------------------------- compat32 + legacy email.mime classes
m = legacy("compat32-iso2022jp", MIMEText("佐藤様\n\nお世話になっております。\n明日の会議は十時からです。\n\n山田\n", "plain", "iso-2022-jp"),
           formataddr(("山田 太郎", "a@tenant.example"), charset="iso-2022-jp"), formataddr(("佐藤 花子", "hanako@example.jp"), charset="iso-2022-jp"),
           Header("明日の会議について（ご確認ください）", "iso-2022-jp"))
send("compat32-iso2022jp", m)

m = legacy("compat32-iso2022jp-long-subject", MIMEText("各位\n\n来週の予定を共有します。\n", "plain", "iso-2022-jp"),
           formataddr(("株式会社テナント 営業部 山田 太郎", "a@tenant.example"), charset="iso-2022-jp"), "bob@example.net",
           Header("【重要】来週月曜日の全体会議の開始時刻の変更および会議室の変更についてのお知らせ", "iso-2022-jp"))
send("compat32-iso2022jp-long-subject", m)

m = legacy("compat32-shift-jis-input", MIMEText("見積書をお送りします。\n", "plain", "shift_jis"),
           formataddr(("鈴木 一郎", "a@tenant.example"), charset="shift_jis"), "bob@example.net", Header("御見積書", "shift_jis"))
send("compat32-shift-jis-input", m)

m = legacy("compat32-koi8r", MIMEText("Коллеги,\n\nсобрание переносится на пятницу.\n\nИван\n", "plain", "koi8-r"),
           formataddr(("Иван Петров", "a@tenant.example"), charset="koi8-r"), "bob@example.net", Header("Собрание в пятницу", "koi8-r"))
send("compat32-koi8r", m)

m = legacy("compat32-windows-1252", MIMEText("Hi Zoë,\n\nthe invoice is €1,250.00 – due in 30 days.\n", "plain", "windows-1252"),
           formataddr(("Zoë Ångström", "a@tenant.example"), charset="windows-1252"), "bob@example.net", Header("Invoice – €1,250.00", "windows-1252"))
send("compat32-windows-1252", m)

m = legacy("compat32-iso-8859-1", MIMEText("Grüß Gott!\n", "plain", "iso-8859-1"),
           formataddr(("Jürgen Müller", "a@tenant.example"), charset="iso-8859-1"), "bob@example.net", Header("Grüße", "iso-8859-1"))
send("compat32-iso-8859-1", m)

m = legacy("compat32-euc-kr", MIMEText("안녕하세요.\n회의는 내일입니다.\n", "plain", "euc-kr"),
           formataddr(("김민수", "a@tenant.example"), charset="euc-kr"), "bob@example.net", Header("회의 일정", "euc-kr"))
send("compat32-euc-kr", m)

m = legacy("compat32-gb2312-body", MIMEText("你好，\n会议改到明天上午十点。\n", "plain", "gb2312"),
           formataddr(("Zhang Wei", "a@tenant.example")), "bob@example.net", Header("会议时间", "utf-8"))
send("compat32-gb2312-body", m)

mixed = MIMEMultipart()
mixed.attach(MIMEText("Please find the documents attached.\n\nAlice\n", "plain", "us-ascii"))
mixed.attach(MIMEApplication(PDF, "pdf", Name="contract.pdf"))
mixed.get_payload()[-1].add_header("Content-Disposition", "attachment", filename="contract.pdf")
img = MIMEImage(PNG, "png")
img.add_header("Content-Disposition", "attachment", filename="signature.png")
mixed.attach(img)
send("legacy-mimemultipart-attachments", legacy("legacy-mimemultipart-attachments", mixed, "Alice Tenant <a@tenant.example>", "Bob Example <bob@example.net>", "Documents"))

mixed = MIMEMultipart()
mixed.attach(MIMEText("Le fichier est joint.\n", "plain", "utf-8"))
part = MIMEBase("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
part.set_payload(b"PK\x03\x04 not really a workbook")
email.encoders.encode_base64(part)
part.add_header("Content-Disposition", "attachment", filename=("utf-8", "fr", "Récapitulatif des dépenses – février 2024 (version définitive).xlsx"))
mixed.attach(part)
send("legacy-rfc2231-filename", legacy("legacy-rfc2231-filename", mixed, formataddr(("Anaïs Tenant", "a@tenant.example"), charset="utf-8"), "Bob Example <bob@example.net>", Header("Dépenses février", "utf-8")))

alt = MIMEMultipart("alternative")
alt.attach(MIMEText("Plain version.\n", "plain"))
alt.attach(MIMEText("<p>HTML version.</p>\n", "html"))
send("legacy-alternative", legacy("legacy-alternative", alt, "Alice Tenant <a@tenant.example>", "bob@example.net", "Two versions"))


# ---------------------------------------------------------------- resent (redirected / bounced) mail
def original(name: str) -> bytes:
    o = new(name, SMTP, frm="Alice Tenant <a@tenant.example>", to="Tenant Support <shared@tenant.example>", subject="Printer on floor 3")
    o.set_content("The printer on floor 3 is out of toner.\n")
    return o.as_bytes()


def resent_block(frm: str, to: str, i: int, sender: str | None = None) -> bytes:
    lines = [f"Resent-From: {frm}"]
    if sender:
        lines.append(f"Resent-Sender: {sender}")
    lines += [f"Resent-Date: {format_datetime(START + dt.timedelta(hours=8 + i))}", f"Resent-To: {to}", f"Resent-Message-ID: {msgid(f'resent-{i}-{frm}')}"]
    return ("\r\n".join(lines) + "\r\n").encode()


raw = resent_block("Alice Tenant <a@tenant.example>", "Facilities <facilities@example.com>", 1) + original("resent-block")
send("compat32-resent-block", email.message_from_bytes(raw, policy=email.policy.compat32))

raw = resent_block("Tenant Support <shared@tenant.example>", "Facilities <facilities@example.com>", 2, sender="Alice Tenant <a@tenant.example>") + original("resent-sender")
send("compat32-resent-sender", email.message_from_bytes(raw, policy=email.policy.compat32))

raw = (resent_block("Alice Tenant <a@tenant.example>", "Facilities Berlin <berlin@example.com>", 4)
       + resent_block("Tenant Support <shared@tenant.example>", "Facilities <facilities@example.com>", 3, sender="Alice Tenant <a@tenant.example>")
       + original("two-resent-blocks"))
# send_message() refuses a message with two Resent- blocks (ValueError), so it is flattened
# the same way and handed to smtplib's sendmail() with the envelope of the topmost block.
send("compat32-two-resent-blocks", email.message_from_bytes(raw, policy=email.policy.compat32), envelope=("a@tenant.example", ["berlin@example.com"]))

sink.close()
print(f"python_email: {len(generated)} messages")
