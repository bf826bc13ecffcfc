#!/usr/bin/env python3
"""REPRODUCTIONS of what desktop, web and mobile mail clients send, written
from their known formats: header order and spelling, X-Mailer/User-Agent,
Message-ID and MIME boundary shapes, Content-Language, Outlook's
Thread-Index, Apple's Mime-Version comment, Gmail's boundaries and
attachment ids, K-9's Autocrypt header, Japanese clients' ISO-2022-JP
encoded words, Foxmail's quoted encoded words. These clients cannot be run
here (no GUI, no Windows/macOS/iOS/Android), so the files are templates,
not captures: see scripts/corpus/README.md. All encodings (RFC 2047 words,
base64, quoted-printable, charsets) are computed, not typed.

Usage: client_styles.py OUTDIR      Deterministic.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import quopri
import sys
import uuid
from pathlib import Path

import corpuslib

OUT = Path(sys.argv[1])
written: list[str] = []


# ------------------------------------------------------------------ helpers
def h(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def uid(name: str, upper: bool = False) -> str:
    u = str(uuid.UUID(h(name)[:32]))
    return u.upper() if upper else u


def alnum(name: str, n: int, alphabet: str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") -> str:
    v = int(h(name), 16)
    out = ""
    for _ in range(n):
        v, r = divmod(v, len(alphabet))
        out += alphabet[r]
    return out


def b64(data: bytes) -> str:
    s = base64.b64encode(data).decode()
    return "\r\n".join(s[i : i + 76] for i in range(0, len(s), 76))


def qp(text: str, charset: str = "utf-8") -> str:
    return quopri.encodestring(text.replace("\r\n", "\n").encode(charset)).decode().replace("\n", "\r\n")


def ew(text: str, charset: str, enc: str = "B") -> str:
    """One RFC 2047 encoded word."""
    raw = text.encode(charset.lower().replace("iso-2022-jp", "iso2022_jp"))
    if enc.upper() == "B":
        return f"=?{charset}?{enc}?{base64.b64encode(raw).decode()}?="
    q = "".join(chr(b) if (chr(b).isalnum() and b < 128) else ("_" if b == 32 else f"={b:02X}") for b in raw)
    return f"=?{charset}?{enc}?{q}?="


def words(text: str, charset: str, per: int, enc: str = "B") -> str:
    """Encoded words of at most `per` characters each, folded one per line."""
    return "\r\n ".join(ew(text[i : i + per], charset, enc) for i in range(0, len(text), per))


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def filetime(t: dt.datetime) -> int:
    return int((t - dt.datetime(1601, 1, 1, tzinfo=dt.timezone.utc)).total_seconds() * 10**7)


def thread_index(name: str, t: dt.datetime, replies: int = 0) -> str:
    """Outlook's Thread-Index: 6 bytes of the FILETIME, a 16-byte GUID, then 5 bytes per reply."""
    data = filetime(t).to_bytes(8, "big")[:6] + bytes.fromhex(h(name)[:32])
    for i in range(replies):
        data += bytes.fromhex(h(f"{name}/{i}")[:10])
    return base64.b64encode(data).decode()


def store(name: str, headers: list[str], body: str | bytes) -> None:
    head = "\r\n".join(headers) + "\r\n\r\n"
    data = head.encode("utf-8") + (body if isinstance(body, bytes) else crlf(body).encode("utf-8"))
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    corpuslib.write(OUT, name + ".eml", data)
    written.append(name)


CET = dt.timezone(dt.timedelta(hours=1))
JST = dt.timezone(dt.timedelta(hours=9))
CST = dt.timezone(dt.timedelta(hours=8))


def date(t: dt.datetime, pad: bool = False) -> str:
    # Most clients write the day without a leading zero.
    day = f"{t.day:02d}" if pad else str(t.day)
    return t.strftime(f"%a, {day} %b %Y %H:%M:%S %z")


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5e1"
    "c2d00000000049454e44ae426082"
)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb004300") + bytes(64) + bytes.fromhex("ffd9")


# ------------------------------------------------------------------ Thunderbird (115/128 ESR)
def tb_boundary(name: str) -> str:
    return "------------" + alnum(name, 24, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


def thunderbird() -> None:
    t = dt.datetime(2024, 3, 7, 14, 5, 9, tzinfo=CET)
    store("thunderbird-style-plain-format-flowed", [
        f"Message-ID: <{uid('tb1')}@tenant.example>",
        f"Date: {date(t)}",
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: de-DE",
        "To: Bob Example <bob@example.net>",
        "From: Alice Tenant <a@tenant.example>",
        "Subject: Protokoll der Teamrunde",
        "Content-Type: text/plain; charset=UTF-8; format=flowed",
        "Content-Transfer-Encoding: 8bit",
    ], "Hallo Bob,\n\nanbei das Protokoll der heutigen Teamrunde. Die nächste Runde findet \nam Donnerstag statt.\n\nViele Grüße\nAlice\n")

    b = tb_boundary("tb2")
    store("thunderbird-style-html-alternative", [
        "Content-Type: multipart/alternative;",
        f' boundary="{b}"',
        f"Message-ID: <{uid('tb2')}@tenant.example>",
        f"Date: {date(t + dt.timedelta(minutes=3))}",
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: en-US",
        "To: Bob Example <bob@example.net>, Carol <carol@example.org>",
        "Cc: Tenant Support <shared@tenant.example>",
        "From: Alice Tenant <a@tenant.example>",
        "Subject: Agenda for Thursday",
    ], f"This is a multi-part message in MIME format.\n--{b}\nContent-Type: text/plain; charset=UTF-8; format=flowed\nContent-Transfer-Encoding: 7bit\n\n"
       "Hi all,\n\n*Agenda*\n\n 1. Budget\n 2. Hiring\n\nAlice\n\n"
       f"--{b}\nContent-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: 7bit\n\n"
       '<!DOCTYPE html>\n<html>\n  <head>\n    <meta http-equiv="content-type" content="text/html; charset=UTF-8">\n  </head>\n'
       "  <body>\n    <p>Hi all,</p>\n    <p><b>Agenda</b></p>\n    <ol>\n      <li>Budget</li>\n      <li>Hiring</li>\n    </ol>\n"
       "    <p>Alice<br>\n    </p>\n  </body>\n</html>\n\n"
       f"--{b}--\n")

    b = tb_boundary("tb3")
    fname = "Übersicht Projektbudget 2024 – Abteilung Forschung und Entwicklung (Entwurf).pdf"
    enc = "".join(c if c.isascii() and (c.isalnum() or c in "-._") else "".join(f"%{x:02X}" for x in c.encode()) for c in fname)
    chunks = [enc[i : i + 60] for i in range(0, len(enc), 60)]
    # Keep %XX escapes whole across the continuation boundary.
    fixed, carry = [], ""
    for c in chunks:
        c = carry + c
        cut = c.rfind("%", len(c) - 2)
        carry, c = (c[cut:], c[:cut]) if cut != -1 else ("", c)
        fixed.append(c)
    if carry:
        fixed.append(carry)
    disp = ";\r\n".join(f" filename*{i}*=UTF-8''{c}" if i == 0 else f" filename*{i}*={c}" for i, c in enumerate(fixed))
    store("thunderbird-style-attachment-rfc2231", [
        "Content-Type: multipart/mixed;",
        f' boundary="{b}"',
        f"Message-ID: <{uid('tb3')}@tenant.example>",
        f"Date: {date(t + dt.timedelta(minutes=9))}",
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: de-DE",
        "To: Bob Example <bob@example.net>",
        "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <a@tenant.example>",
        "Subject: =?UTF-8?Q?Projektbudget_=E2=80=93_Entwurf?=",
    ], f"This is a multi-part message in MIME format.\n--{b}\nContent-Type: text/plain; charset=UTF-8; format=flowed\nContent-Transfer-Encoding: 8bit\n\n"
       "Hallo Bob,\n\nim Anhang der Entwurf für das Projektbudget.\n\nGrüße\nJürgen\n\n"
       # Thunderbird's default (mail.strictly_mime.parm_folding = 1): RFC 2047 in name=, RFC 2231 in filename=.
       f"--{b}\nContent-Type: application/pdf;\n name=\"{words(fname, 'UTF-8', 22, 'Q').replace(chr(13), '')}\"\n"
       "Content-Disposition: attachment;\n" + disp.replace("\r\n", "\n") + "\nContent-Transfer-Encoding: base64\n\n"
       + b64(PDF).replace("\r\n", "\n") + f"\n\n--{b}--\n")

    # Thunderbird 52 in a Japanese locale: ISO-2022-JP everywhere, as it sent by default until version 78.
    t_jp = dt.datetime(2024, 3, 7, 11, 30, 0, tzinfo=JST)
    body_jp = "佐藤様\n\nお世話になっております。山田です。\n来週の打ち合わせの件、水曜日の午後でいかがでしょうか。\n\nよろしくお願いいたします。\n山田\n"
    store("thunderbird-style-iso2022jp", [
        f"To: {ew('佐藤 花子', 'ISO-2022-JP')} <hanako@example.jp>",
        f"From: {ew('山田 太郎', 'ISO-2022-JP')} <a@tenant.example>",
        f"Subject: {ew('来週の打ち合わせについて', 'ISO-2022-JP')}",
        f"Message-ID: <{uid('tb4')}@tenant.example>",
        f"Date: {date(t_jp)}",
        "User-Agent: Mozilla/5.0 (Windows NT 10.0; WOW64; rv:52.0) Gecko/20100101",
        " Thunderbird/52.9.1",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=iso-2022-jp",
        "Content-Transfer-Encoding: 7bit",
        "Content-Language: ja",
    ], crlf(body_jp).encode("iso2022_jp"))

    store("thunderbird-style-read-receipt", [
        f"Message-ID: <{uid('tb5')}@tenant.example>",
        f"Date: {date(t + dt.timedelta(minutes=20))}",
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: en-US",
        "To: Bob Example <bob@example.net>",
        "From: Alice Tenant <a@tenant.example>",
        "Subject: Signed offer",
        "Disposition-Notification-To: Alice Tenant <a@tenant.example>",
        "Return-Receipt-To: Alice Tenant <a@tenant.example>",
        "Content-Type: text/plain; charset=UTF-8; format=flowed",
        "Content-Transfer-Encoding: 7bit",
    ], "Hi Bob,\n\nplease confirm you received the signed offer.\n\nAlice\n")

    # The read receipt (MDN, RFC 8098) Thunderbird sends back when the user agrees.
    b = tb_boundary("tb6")
    store("thunderbird-style-mdn-report", [
        f"Date: {date(t + dt.timedelta(minutes=25))}",
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "From: Alice Tenant <a@tenant.example>",
        "Subject: Return Receipt (displayed) - Contract draft",
        "To: Bob Example <bob@example.net>",
        f"Message-ID: <{uid('tb6')}@tenant.example>",
        "In-Reply-To: <contract-draft-7@example.net>",
        "References: <contract-draft-7@example.net>",
        "Content-Type: multipart/report; report-type=disposition-notification;",
        f' boundary="{b}"',
    ], f"This is a multi-part message in MIME format.\n--{b}\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 7bit\n\n"
       "This is a Return Receipt for the mail that you sent to a@tenant.example.\n\n"
       "Note: This Return Receipt only acknowledges that the message was displayed on the recipient's computer. "
       "There is no guarantee that the recipient has read or understood the message contents.\n\n"
       f"--{b}\nContent-Type: message/disposition-notification; name=\"MDNPart2.txt\"\nContent-Disposition: inline\nContent-Transfer-Encoding: 7bit\n\n"
       "Reporting-UA: tenant.example; Mozilla Thunderbird\nFinal-Recipient: rfc822;a@tenant.example\n"
       "Original-Message-ID: <contract-draft-7@example.net>\nDisposition: manual-action/MDN-sent-manually; displayed\n\n"
       f"--{b}\nContent-Type: text/rfc822-headers; name=\"MDNPart3.txt\"\nContent-Transfer-Encoding: 7bit\nContent-Disposition: inline\n\n"
       "Message-ID: <contract-draft-7@example.net>\nDate: Thu, 7 Mar 2024 09:00:00 +0100\nFrom: Bob Example <bob@example.net>\n"
       "To: Alice Tenant <a@tenant.example>\nSubject: Contract draft\nDisposition-Notification-To: Bob Example <bob@example.net>\n\n"
       f"--{b}--\n")

    store("thunderbird-style-forward-inline", [
        f"Message-ID: <{uid('tb7')}@tenant.example>",
        f"Date: {date(t + dt.timedelta(minutes=31))}",
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Subject: Fwd: Delivery delayed",
        "Content-Language: en-US",
        "References: <delivery-4471@example.com>",
        "To: Facilities <facilities@example.com>",
        "From: Alice Tenant <a@tenant.example>",
        "In-Reply-To: <delivery-4471@example.com>",
        "X-Forwarded-Message-Id: <delivery-4471@example.com>",
        "Content-Type: text/plain; charset=UTF-8; format=flowed",
        "Content-Transfer-Encoding: 7bit",
    ], "FYI\n\n\n-------- Forwarded Message --------\nSubject: \tDelivery delayed\nDate: \tWed, 6 Mar 2024 16:20:00 +0100\n"
       "From: \tParcel Service <noreply@example.com>\nReply-To: \tSupport <support@example.com>\nTo: \tAlice Tenant <a@tenant.example>\n\n\n\n"
       "Your parcel will arrive one day later.\n\n")

    # Thunderbird 115 with OpenPGP set up: an Autocrypt header and a signed message.
    key = base64.b64encode(bytes.fromhex(h("autocrypt-tb") * 6)).decode()
    store("thunderbird-style-autocrypt", [
        f"Message-ID: <{uid('tb8')}@tenant.example>",
        f"Date: {date(t + dt.timedelta(minutes=40))}",
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: en-US",
        "To: Bob Example <bob@example.net>",
        "From: Alice Tenant <a@tenant.example>",
        "Autocrypt: addr=a@tenant.example; keydata=",
        *(" " + key[i : i + 76] for i in range(0, len(key), 76)),
        "Subject: Key exchange",
        "Content-Type: text/plain; charset=UTF-8; format=flowed",
        "Content-Transfer-Encoding: 7bit",
    ], "Hi Bob,\n\nmy OpenPGP key is in the Autocrypt header.\n\nAlice\n")

    # Thunderbird's "Redirect" (since 91): the message unchanged, Resent-* fields on top.
    store("thunderbird-style-redirect", [
        "Resent-From: Alice Tenant <a@tenant.example>",
        "Resent-To: Facilities <facilities@example.com>",
        f"Resent-Date: {date(t + dt.timedelta(minutes=45))}",
        f"Resent-Message-ID: <{uid('tb9')}@tenant.example>",
        "Message-ID: <orig-2288@tenant.example>",
        "Date: Thu, 7 Mar 2024 08:15:00 +0100",
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "To: Alice Tenant <a@tenant.example>",
        "From: Tenant Support <shared@tenant.example>",
        "Subject: Heating in room 2.04",
        "Content-Type: text/plain; charset=UTF-8; format=flowed",
        "Content-Transfer-Encoding: 7bit",
    ], "The heating in room 2.04 does not work.\n")


# ------------------------------------------------------------------ Outlook (Microsoft 365 desktop, Exchange Online)
def outlook_ids(name: str, t: dt.datetime) -> tuple[str, str]:
    """Outlook's Message-ID <CCCCHHHHHHHH$LLLLLLLL$RRRRRRRR$@domain> (counter, FILETIME high and
    low 32 bits, random) and its boundary ----=_NextPart_000_CCCC_HHHHHHHH.LLLLLLLL."""
    ft = filetime(t)
    high, low, rnd = ft >> 32, ft & 0xFFFFFFFF, h(name)[:8]
    return f"<0000{high:08x}${low:08x}${rnd}$@tenant.example>", f"----=_NextPart_000_0001_{high:08X}.{low:08X}"


WORD_HTML_HEAD = (
    '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" '
    'xmlns="http://www.w3.org/TR/REC-html40"><head><meta http-equiv=Content-Type content="text/html; charset={cs}">'
    '<meta name=Generator content="Microsoft Word 15 (filtered medium)"><style><!--\n'
    "/* Font Definitions */\n@font-face\n\t{{font-family:\"Cambria Math\";\n\tpanose-1:2 4 5 3 5 4 6 3 2 4;}}\n"
    "p.MsoNormal, li.MsoNormal, div.MsoNormal\n\t{{margin:0cm;\n\tfont-size:11.0pt;\n\tfont-family:\"Calibri\",sans-serif;}}\n"
    "--></style></head><body lang={lang} link=\"#0563C1\" vlink=\"#954F72\" style='word-wrap:break-word'><div class=WordSection1>"
)


def word_html(paragraphs: list[str], cs: str = "us-ascii", lang: str = "DE") -> str:
    ps = "".join(f"<p class=MsoNormal>{p}<o:p></o:p></p>" for p in paragraphs)
    return WORD_HTML_HEAD.format(cs=cs, lang=lang) + ps + "</div></body></html>"


def outlook() -> None:
    t = dt.datetime(2024, 3, 8, 8, 12, 33, tzinfo=dt.timezone.utc)
    mid, b = outlook_ids("ol1", t)
    store("outlook-style-thread-index", [
        'From: "Alice Tenant" <a@tenant.example>',
        "To: \"'Bob Example'\" <bob@example.net>",
        "Cc: <carol@example.org>",
        "Subject: Quarterly report",
        f"Date: {date(t.astimezone(CET))}",
        f"Message-ID: {mid}",
        "MIME-Version: 1.0",
        "Content-Type: multipart/alternative;",
        f'\tboundary="{b}"',
        "X-Mailer: Microsoft Outlook 16.0",
        f"Thread-Index: {thread_index('ol1', t)}",
        "Content-Language: de",
    ], f"This is a multipart message in MIME format.\n\n--{b}\nContent-Type: text/plain;\n\tcharset=\"us-ascii\"\nContent-Transfer-Encoding: 7bit\n\n"
       "Hi Bob,\n\n \n\nplease find the quarterly figures below.\n\n \n\nBest regards\n\nAlice\n\n\n"
       f"--{b}\nContent-Type: text/html;\n\tcharset=\"us-ascii\"\nContent-Transfer-Encoding: quoted-printable\n\n"
       + qp(word_html(["Hi Bob,", "&nbsp;", "please find the quarterly figures below.", "&nbsp;", "Best regards", "Alice"]))
       + f"\n--{b}--\n\n")

    t2 = t + dt.timedelta(hours=2)
    mid2, b2 = outlook_ids("ol2", t2)
    store("outlook-style-reply-thread-index", [
        'From: "Alice Tenant" <a@tenant.example>',
        "To: \"'Bob Example'\" <bob@example.net>",
        "References: <CAF3x-ZmWq7@mail.example.net> " + mid,
        "In-Reply-To: <CAF3x-ZmWq7@mail.example.net>",
        "Subject: =?iso-8859-1?Q?AW:_=DCbersicht_der_Zahlen?=",
        f"Date: {date(t2.astimezone(CET))}",
        f"Message-ID: {mid2}",
        "MIME-Version: 1.0",
        "Content-Type: multipart/alternative;",
        f'\tboundary="{b2}"',
        "X-Mailer: Microsoft Outlook 16.0",
        f"Thread-Index: {thread_index('ol1', t, replies=2)}",
        "Content-Language: de",
    ], f"This is a multipart message in MIME format.\n\n--{b2}\nContent-Type: text/plain;\n\tcharset=\"iso-8859-1\"\nContent-Transfer-Encoding: quoted-printable\n\n"
       + qp("Hallo Bob,\n\ndanke für die schnelle Rückmeldung.\n\nGrüße\nAlice\n\nVon: Bob Example <bob@example.net> \nGesendet: Freitag, 8. März 2024 10:02\nAn: Alice Tenant <a@tenant.example>\nBetreff: Re: Übersicht der Zahlen\n\nPasst.\n", "iso-8859-1")
       + f"\n--{b2}\nContent-Type: text/html;\n\tcharset=\"iso-8859-1\"\nContent-Transfer-Encoding: quoted-printable\n\n"
       + qp(word_html(["Hallo Bob,", "danke f&uuml;r die schnelle R&uuml;ckmeldung.", "Gr&uuml;&szlig;e", "Alice"], "iso-8859-1"), "iso-8859-1")
       + f"\n--{b2}--\n\n")

    # Exchange Online, "Send on behalf": From the team mailbox, Sender the user.
    ex = "AM0PR07MB" + alnum("ex1", 4, "0123456789")
    exid = f"{ex}{alnum('ex1id', 27, '0123456789ABCDEF')}"
    tx = dt.datetime(2024, 3, 8, 9, 20, 11, tzinfo=dt.timezone.utc)
    b = f"_000_{exid}{ex}eurp_"
    store("outlook-style-exchange-on-behalf", [
        "From: Tenant Support <shared@tenant.example>",
        "Sender: Alice Tenant <a@tenant.example>",
        "To: Bob Example <bob@example.net>",
        "Subject: Your request 5521",
        "Thread-Topic: Your request 5521",
        f"Thread-Index: {thread_index('ex1', tx)}",
        f"Date: {date(tx, pad=False)}",
        f"Message-ID: <{exid}@{ex}.eurprd07.prod.outlook.com>",
        "Accept-Language: de-DE, en-US",
        "Content-Language: de-DE",
        "X-MS-Has-Attach: ",
        "X-MS-TNEF-Correlator: ",
        "Content-Type: multipart/alternative;",
        f'\tboundary="{b}"',
        "MIME-Version: 1.0",
    ], f"--{b}\nContent-Type: text/plain; charset=\"us-ascii\"\nContent-Transfer-Encoding: quoted-printable\n\n"
       + qp("Hello,\n\nwe have received your request and will get back to you within two working days.\n\nKind regards\nAlice Tenant\nTenant Support\n")
       + f"\n--{b}\nContent-Type: text/html; charset=\"us-ascii\"\nContent-Transfer-Encoding: quoted-printable\n\n"
       + qp('<html><head><meta http-equiv="Content-Type" content="text/html; charset=us-ascii"></head><body>'
            '<div class="elementToProof" style="font-family: Aptos, Aptos_EmbeddedFont, Calibri, Helvetica, sans-serif; font-size: 12pt;">'
            "Hello,<br><br>we have received your request and will get back to you within two working days.<br><br>Kind regards<br>Alice Tenant<br>Tenant Support</div></body></html>")
       + f"\n--{b}--\n")

    # Outlook in a Japanese Windows: ISO-2022-JP words with a lower-case charset name.
    tj = dt.datetime(2024, 3, 8, 17, 45, 2, tzinfo=JST)
    mid, _ = outlook_ids("ol-jp", tj)
    store("outlook-style-iso2022jp", [
        f"From: {ew('山田 太郎', 'iso-2022-jp')} <a@tenant.example>",
        f"To: {ew('佐藤 花子', 'iso-2022-jp')} <hanako@example.jp>",
        f"Subject: {ew('【ご確認】御見積書の送付', 'iso-2022-jp')}",
        f"Date: {date(tj)}",
        f"Message-ID: {mid}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain;",
        '\tcharset="iso-2022-jp"',
        "Content-Transfer-Encoding: 7bit",
        "X-Mailer: Microsoft Outlook 16.0",
        f"Thread-Index: {thread_index('ol-jp', tj)}",
        "Content-Language: ja",
    ], crlf("佐藤様\n\nいつもお世話になっております。\n株式会社テナントの山田です。\n\n御見積書を送付いたしますので、ご確認ください。\n\n山田\n").encode("iso2022_jp"))

    tw = t + dt.timedelta(hours=4)
    mid, b = outlook_ids("ol-1252", tw)
    store("outlook-style-windows-1252-priority", [
        f"From: {ew('Zoë Ångström', 'windows-1252', 'Q')} <a@tenant.example>",
        "To: <bob@example.net>",
        "Subject: =?windows-1252?Q?Invoice_=96_=801,250.00_due?=",
        f"Date: {date(tw.astimezone(CET))}",
        f"Message-ID: {mid}",
        "MIME-Version: 1.0",
        "Content-Type: multipart/alternative;",
        f'\tboundary="{b}"',
        "X-Mailer: Microsoft Outlook 16.0",
        f"Thread-Index: {thread_index('ol-1252', tw)}",
        "Content-Language: en-gb",
        "Disposition-Notification-To: =?windows-1252?Q?Zo=EB_=C5ngstr=F6m?= <a@tenant.example>",
        "X-Priority: 1",
        "Priority: Urgent",
        "Importance: high",
    ], f"This is a multipart message in MIME format.\n\n--{b}\nContent-Type: text/plain;\n\tcharset=\"windows-1252\"\nContent-Transfer-Encoding: quoted-printable\n\n"
       + qp("Hi,\n\nthe invoice – €1,250.00 – is due on Friday.\n\nZoë\n", "windows-1252")
       + f"\n--{b}\nContent-Type: text/html;\n\tcharset=\"windows-1252\"\nContent-Transfer-Encoding: quoted-printable\n\n"
       + qp(word_html(["Hi,", "the invoice &#8211; &euro;1,250.00 &#8211; is due on Friday.", "Zo&euml;"], "windows-1252", "EN-GB"), "windows-1252")
       + f"\n--{b}--\n\n")

    # Outlook writes non-ASCII attachment names as RFC 2047 words in quotes, not RFC 2231.
    ta = t + dt.timedelta(hours=5)
    mid, b = outlook_ids("ol-att", ta)
    fn = ew("Übersicht Budget 2024.pdf", "iso-8859-1", "Q")
    store("outlook-style-attachment-rfc2047-filename", [
        'From: "Alice Tenant" <a@tenant.example>',
        "To: \"'Bob Example'\" <bob@example.net>",
        "Subject: Budget",
        f"Date: {date(ta.astimezone(CET))}",
        f"Message-ID: {mid}",
        "MIME-Version: 1.0",
        "Content-Type: multipart/mixed;",
        f'\tboundary="{b}"',
        "X-Mailer: Microsoft Outlook 16.0",
        f"Thread-Index: {thread_index('ol-att', ta)}",
        "Content-Language: de",
    ], f"This is a multipart message in MIME format.\n\n--{b}\nContent-Type: text/plain;\n\tcharset=\"us-ascii\"\nContent-Transfer-Encoding: 7bit\n\n"
       "Anbei das Budget.\n\n"
       f"--{b}\nContent-Type: application/pdf;\n\tname=\"{fn}\"\nContent-Transfer-Encoding: base64\n"
       f"Content-Disposition: attachment;\n\tfilename=\"{fn}\"\n\n" + b64(PDF).replace("\r\n", "\n") + f"\n\n--{b}--\n\n")

    # An Outlook meeting request.
    tc = t + dt.timedelta(hours=6)
    mid, b = outlook_ids("ol-cal", tc)
    ics = crlf(
        "BEGIN:VCALENDAR\nMETHOD:REQUEST\nPRODID:Microsoft Exchange Server 2010\nVERSION:2.0\nBEGIN:VTIMEZONE\nTZID:W. Europe Standard Time\n"
        "BEGIN:STANDARD\nDTSTART:16010101T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\n"
        "BEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\nEND:DAYLIGHT\n"
        "END:VTIMEZONE\nBEGIN:VEVENT\nORGANIZER;CN=Alice Tenant:mailto:a@tenant.example\n"
        "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Bob Example:mailto:bob@example.net\n"
        "DESCRIPTION;LANGUAGE=de-DE:Kurze Abstimmung zum Budget.\\n\nUID:040000008200E00074C5B7101A82E00800000000" + h("ol-cal")[:32].upper() + "\n"
        "SUMMARY;LANGUAGE=de-DE:Budgetabstimmung\nDTSTART;TZID=W. Europe Standard Time:20240312T100000\nDTEND;TZID=W. Europe Standard Time:20240312T103000\n"
        "CLASS:PUBLIC\nPRIORITY:5\nDTSTAMP:20240308T140000Z\nTRANSP:OPAQUE\nSTATUS:CONFIRMED\nSEQUENCE:0\nLOCATION;LANGUAGE=de-DE:Microsoft Teams-Besprechung\n"
        "X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE\nX-MICROSOFT-CDO-IMPORTANCE:1\nBEGIN:VALARM\nDESCRIPTION:REMINDER\nTRIGGER;RELATED=START:-PT15M\nACTION:DISPLAY\nEND:VALARM\n"
        "END:VEVENT\nEND:VCALENDAR\n")
    store("outlook-style-calendar-request", [
        'From: "Alice Tenant" <a@tenant.example>',
        "To: \"'Bob Example'\" <bob@example.net>",
        "Subject: Budgetabstimmung",
        f"Date: {date(tc.astimezone(CET))}",
        f"Message-ID: {mid}",
        "MIME-Version: 1.0",
        "Content-Type: multipart/alternative;",
        f'\tboundary="{b}"',
        "X-Mailer: Microsoft Outlook 16.0",
        f"Thread-Index: {thread_index('ol-cal', tc)}",
        "Content-Language: de",
        "Content-Class: urn:content-classes:calendarmessage",
    ], f"This is a multipart message in MIME format.\n\n--{b}\nContent-Type: text/plain;\n\tcharset=\"utf-8\"\nContent-Transfer-Encoding: quoted-printable\n\n"
       + qp("Kurze Abstimmung zum Budget.\n") + f"\n--{b}\nContent-Type: text/calendar;\n\tmethod=REQUEST;\n\tcharset=\"utf-8\"\nContent-Transfer-Encoding: base64\n\n"
       + b64(ics.encode()).replace("\r\n", "\n") + f"\n\n--{b}--\n\n")


# ------------------------------------------------------------------ Apple Mail (macOS) and Mail on iOS
APPLE_BUILD = "3774.500.171.1.1"


def apple() -> None:
    t = dt.datetime(2024, 3, 9, 12, 1, 17, tzinfo=CET)
    b = f"Apple-Mail=_{uid('am1', True)}"
    store("applemail-style-alternative", [
        "From: Alice Tenant <a@tenant.example>",
        "Content-Type: multipart/alternative;",
        f'\tboundary="{b}"',
        f"Mime-Version: 1.0 (Mac OS X Mail 16.0 \\({APPLE_BUILD}\\))",
        "Subject: Lunch on Monday?",
        f"Message-Id: <{uid('am1-id', True)}@tenant.example>",
        f"Date: {date(t)}",
        "To: Bob Example <bob@example.net>",
        f"X-Mailer: Apple Mail (2.{APPLE_BUILD})",
    ], f"\n--{b}\nContent-Transfer-Encoding: quoted-printable\nContent-Type: text/plain;\n\tcharset=utf-8\n\n"
       + qp("Hi Bob,\n\nlunch on Monday at the café around the corner?\n\nAlice") + f"\n--{b}\nContent-Transfer-Encoding: quoted-printable\nContent-Type: text/html;\n\tcharset=utf-8\n\n"
       + qp('<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body style="overflow-wrap: break-word; '
            '-webkit-nbsp-mode: space; line-break: after-white-space;">Hi Bob,<div><br></div><div>lunch on Monday at the café around the corner?</div>'
            "<div><br></div><div>Alice</div></body></html>") + f"\n--{b}--\n")

    b = f"Apple-Mail=_{uid('am2', True)}"
    fname = "Präsentation Kundenworkshop März 2024.pdf"
    store("applemail-style-attachment-utf8-name", [
        "From: =?utf-8?Q?J=C3=BCrgen_M=C3=BCller?= <a@tenant.example>",
        "Content-Type: multipart/mixed;",
        f'\tboundary="{b}"',
        f"Mime-Version: 1.0 (Mac OS X Mail 16.0 \\({APPLE_BUILD}\\))",
        "Subject: =?utf-8?Q?Pr=C3=A4sentation_f=C3=BCr_den_Workshop?=",
        f"Message-Id: <{uid('am2-id', True)}@tenant.example>",
        f"Date: {date(t + dt.timedelta(minutes=30))}",
        "To: Bob Example <bob@example.net>",
        f"X-Mailer: Apple Mail (2.{APPLE_BUILD})",
    ], f"\n--{b}\nContent-Transfer-Encoding: quoted-printable\nContent-Type: text/plain;\n\tcharset=utf-8\n\n" + qp("Hallo Bob,\n\nanbei die Präsentation.\n\nJürgen\n")
       + f"\n--{b}\nContent-Disposition: attachment;\n\tfilename*=utf-8''{''.join(c if c.isascii() and c.isalnum() or c in '.-' else ''.join(f'%{x:02X}' for x in c.encode()) for c in fname)}\n"
       f"Content-Type: application/pdf;\n\tx-unix-mode=0644;\n\tname=\"{ew(fname, 'utf-8', 'Q')}\"\nContent-Transfer-Encoding: base64\n\n"
       + b64(PDF).replace("\r\n", "\n") + f"\n--{b}--\n")

    store("applemail-style-forward-inline", [
        "From: Alice Tenant <a@tenant.example>",
        "Content-Type: text/plain;",
        "\tcharset=us-ascii",
        "Content-Transfer-Encoding: 7bit",
        f"Mime-Version: 1.0 (Mac OS X Mail 16.0 \\({APPLE_BUILD}\\))",
        "Subject: Fwd: Your booking 88421",
        f"Message-Id: <{uid('am3-id', True)}@tenant.example>",
        "References: <booking-88421@example.com>",
        f"Date: {date(t + dt.timedelta(minutes=45))}",
        "To: Bob Example <bob@example.net>",
        f"X-Mailer: Apple Mail (2.{APPLE_BUILD})",
    ], "For the trip next week.\n\n> Begin forwarded message:\n> \n> From: Hotel Reservations <reservations@example.com>\n"
       "> Subject: Your booking 88421\n> Date: 8 March 2024 at 18:02:11 CET\n> To: Alice Tenant <a@tenant.example>\n"
       "> Reply-To: Front Desk <frontdesk@example.com>\n> \n> Your room is booked from 12 to 14 March.\n\n")

    # Apple Mail's "Redirect" keeps the original and adds Resent-* fields.
    store("applemail-style-redirect", [
        "Resent-From: Alice Tenant <a@tenant.example>",
        f"Resent-Date: {date(t + dt.timedelta(hours=1))}",
        f"Resent-Message-Id: <{uid('am4-id', True)}@tenant.example>",
        "Resent-To: Facilities <facilities@example.com>",
        "From: Tenant Support <shared@tenant.example>",
        "Content-Type: text/plain;",
        "\tcharset=us-ascii",
        "Content-Transfer-Encoding: 7bit",
        f"Mime-Version: 1.0 (Mac OS X Mail 16.0 \\({APPLE_BUILD}\\))",
        "Subject: Leaking tap in the kitchen",
        "Message-Id: <7C1D2E3F-4A5B-6C7D-8E9F-0A1B2C3D4E5F@tenant.example>",
        "Date: Sat, 9 Mar 2024 09:12:44 +0100",
        "To: Alice Tenant <a@tenant.example>",
        f"X-Mailer: Apple Mail (2.{APPLE_BUILD})",
    ], "The tap in the kitchen on floor 2 is leaking.\n")

    ti = dt.datetime(2024, 3, 9, 18, 22, 5, tzinfo=CET)
    store("ios-style-plain", [
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "From: Alice Tenant <a@tenant.example>",
        "Mime-Version: 1.0 (1.0)",
        f"Date: {date(ti)}",
        "Subject: Running late",
        f"Message-Id: <{uid('ios1', True)}@tenant.example>",
        "To: Bob Example <bob@example.net>",
        "X-Mailer: iPhone Mail (21D61)",
    ], qp("Running 10 minutes late, sorry!\n\nSent from my iPhone"))

    store("ios-style-reply-emoji", [
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "From: =?utf-8?Q?Alice_Tenant_=F0=9F=91=A9=E2=80=8D=F0=9F=92=BB?= <a@tenant.example>",
        "Mime-Version: 1.0 (1.0)",
        f"Date: {date(ti + dt.timedelta(minutes=12))}",
        "Subject: Re: Dinner tonight? =?utf-8?Q?=F0=9F=8D=9D?=",
        f"Message-Id: <{uid('ios2', True)}@tenant.example>",
        "References: <B2D3E4F5-0A1B-4C2D-8E3F-9A0B1C2D3E4F@example.net>",
        "In-Reply-To: <B2D3E4F5-0A1B-4C2D-8E3F-9A0B1C2D3E4F@example.net>",
        "To: Bob Example <bob@example.net>",
        "X-Mailer: iPhone Mail (21D61)",
    ], qp("Yes! 🍝👍🏽\n\nSent from my iPhone\n\n> On 9. Mar 2024, at 18:20, Bob Example <bob@example.net> wrote:\n> \n> Dinner tonight?\n"))

    b = f"Apple-Mail-{uid('ios3', True)}"
    store("ios-style-photo-attachment", [
        "Content-Type: multipart/mixed; boundary=" + b,
        "Content-Transfer-Encoding: 7bit",
        "From: Alice Tenant <a@tenant.example>",
        "Mime-Version: 1.0 (1.0)",
        f"Date: {date(ti + dt.timedelta(minutes=40))}",
        "Subject: Whiteboard",
        f"Message-Id: <{uid('ios3-id', True)}@tenant.example>",
        "To: Bob Example <bob@example.net>",
        "X-Mailer: iPhone Mail (21D61)",
    ], f"\n--{b}\nContent-Type: text/plain;\n\tcharset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n\n\n"
       f"--{b}\nContent-Type: image/jpeg;\n\tname=IMG_0412.jpeg;\n\tx-apple-part-url={uid('ios3-part', True)}\n"
       "Content-Disposition: inline;\n\tfilename=IMG_0412.jpeg\nContent-Transfer-Encoding: base64\n\n" + b64(JPEG).replace("\r\n", "\n")
       + f"\n--{b}\nContent-Type: text/plain;\n\tcharset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n\n\nSent from my iPhone\n--{b}--\n")

    store("ios-style-japanese", [
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        f"From: {ew('山田 太郎', 'utf-8')} <a@tenant.example>",
        "Mime-Version: 1.0 (1.0)",
        f"Date: {date(dt.datetime(2024, 3, 10, 8, 5, 0, tzinfo=JST))}",
        f"Subject: {ew('明日の件', 'utf-8')}",
        f"Message-Id: <{uid('ios4', True)}@tenant.example>",
        "To: hanako@example.jp",
        "X-Mailer: iPhone Mail (21D61)",
    ], b64("了解しました。明日よろしくお願いします。\n\niPhoneから送信".encode()))


# ------------------------------------------------------------------ Gmail (web; "Send mail as" through another SMTP server)
def gmail_id(name: str) -> str:
    return "CA" + alnum(name, 40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-_") + "@mail.gmail.com"


def gmail_boundary(name: str) -> str:
    return "000000000000" + h(name)[:16]


def gmail() -> None:
    t = dt.datetime(2024, 3, 11, 10, 15, 42, tzinfo=CET)
    b = gmail_boundary("gm1")
    store("gmail-style-alternative", [
        "MIME-Version: 1.0",
        "From: Alice Tenant <a@tenant.example>",
        f"Date: {date(t)}",
        f"Message-ID: <{gmail_id('gm1')}>",
        "Subject: Quarterly review",
        "To: Bob Example <bob@example.net>",
        f'Content-Type: multipart/alternative; boundary="{b}"',
    ], f"--{b}\nContent-Type: text/plain; charset=\"UTF-8\"\n\nHi Bob,\n\nthe quarterly review is on Thursday.\n\nAlice\n\n"
       f"--{b}\nContent-Type: text/html; charset=\"UTF-8\"\n\n"
       '<div dir="ltr">Hi Bob,<div><br></div><div>the quarterly review is on Thursday.</div><div><br></div><div>Alice</div></div>\n\n'
       f"--{b}--\n")

    b, b2 = gmail_boundary("gm2"), gmail_boundary("gm2-alt")
    fname = "Übersicht Quartalszahlen 2024 – final.pdf"
    enc_name = "=?UTF-8?B?" + base64.b64encode(fname.encode()).decode() + "?="
    att_id = "f_lt" + alnum("gm2-att", 7, "abcdefghijklmnopqrstuvwxyz0123456789") + "0"
    store("gmail-style-attachment-rfc2047-filename", [
        "MIME-Version: 1.0",
        f"From: {ew('Jürgen Müller', 'UTF-8')} <a@tenant.example>",
        f"Date: {date(t + dt.timedelta(minutes=20))}",
        f"Message-ID: <{gmail_id('gm2')}>",
        f"Subject: {ew('Quartalszahlen für Q1', 'UTF-8')}",
        "To: Bob Example <bob@example.net>",
        f'Content-Type: multipart/mixed; boundary="{b}"',
    ], f"--{b}\nContent-Type: multipart/alternative; boundary=\"{b2}\"\n\n"
       f"--{b2}\nContent-Type: text/plain; charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\n\n" + qp("Anbei die Übersicht.\n")
       + f"\n--{b2}\nContent-Type: text/html; charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\n\n"
       + qp('<div dir="ltr">Anbei die Übersicht.</div>\n') + f"\n--{b2}--\n"
       f"--{b}\nContent-Type: application/pdf; \n\tname=\"{enc_name}\"\nContent-Disposition: attachment; \n\tfilename=\"{enc_name}\"\n"
       f"Content-Transfer-Encoding: base64\nContent-ID: <{att_id}>\nX-Attachment-Id: {att_id}\n\n" + b64(PDF).replace("\r\n", "\n") + f"\n--{b}--\n")

    refs = [f"<{gmail_id(f'gm3-{i}')}>" for i in range(1, 31)]
    b = gmail_boundary("gm3")
    store("gmail-style-reply-references-30", [
        "MIME-Version: 1.0",
        "References: " + "\r\n\t".join(refs),
        f"In-Reply-To: {refs[-1]}",
        "From: Alice Tenant <a@tenant.example>",
        f"Date: {date(t + dt.timedelta(minutes=50))}",
        f"Message-ID: <{gmail_id('gm3')}>",
        "Subject: Re: Office move planning",
        "To: Bob Example <bob@example.net>",
        "Cc: Carol <carol@example.org>, Tenant Support <shared@tenant.example>",
        f'Content-Type: multipart/alternative; boundary="{b}"',
    ], f"--{b}\nContent-Type: text/plain; charset=\"UTF-8\"\n\nAgreed.\n\nOn Mon, Mar 11, 2024 at 10:40 AM Bob Example <bob@example.net> wrote:\n\n> Shall we move on the 15th?\n>\n\n"
       f"--{b}\nContent-Type: text/html; charset=\"UTF-8\"\n\n"
       '<div dir="ltr">Agreed.</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Mar 11, 2024 at 10:40 AM Bob Example &lt;<a href="mailto:bob@example.net">bob@example.net</a>&gt; wrote:<br></div>'
       '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">Shall we move on the 15th?</blockquote></div>\n\n'
       f"--{b}--\n")

    b = gmail_boundary("gm4")
    store("gmail-style-cjk-name-reply-to", [
        "MIME-Version: 1.0",
        f"From: {ew('王小明', 'UTF-8')} <a@tenant.example>",
        f"Date: {date(dt.datetime(2024, 3, 11, 17, 3, 9, tzinfo=CST))}",
        f"Message-ID: <{gmail_id('gm4')}>",
        f"Subject: {ew('会议纪要（三月）', 'UTF-8')}",
        "To: Bob Example <bob@example.net>",
        f"Reply-To: {ew('王小明', 'UTF-8')} <reply@tenant.example>",
        f'Content-Type: multipart/alternative; boundary="{b}"',
    ], f"--{b}\nContent-Type: text/plain; charset=\"UTF-8\"\nContent-Transfer-Encoding: base64\n\n" + b64("附件是三月的会议纪要。\n".encode()).replace("\r\n", "\n")
       + f"\n--{b}\nContent-Type: text/html; charset=\"UTF-8\"\nContent-Transfer-Encoding: base64\n\n"
       + b64('<div dir="ltr">附件是三月的会议纪要。</div>\n'.encode()).replace("\r\n", "\n") + f"\n--{b}--\n")


# ------------------------------------------------------------------ K-9 Mail (Android; now Thunderbird for Android)
def k9_boundary(name: str) -> str:
    return "----" + alnum(name, 30)


def k9() -> None:
    t = dt.datetime(2024, 3, 12, 19, 3, 44, tzinfo=CET)
    store("k9-style-plain", [
        "MIME-Version: 1.0",
        f"Date: {date(t, pad=True)}",
        "From: Alice Tenant <a@tenant.example>",
        "To: Bob Example <bob@example.net>",
        "Subject: On my way",
        "User-Agent: K-9 Mail for Android",
        f"Message-ID: <{uid('k9-1', True)}@tenant.example>",
        "Content-Type: text/plain;",
        " charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
    ], qp("On my way, there in 15 minutes.\n--\nSent from my Android device with K-9 Mail. Please excuse my brevity."))

    b = k9_boundary("k9-2")
    store("k9-style-reply-alternative", [
        "MIME-Version: 1.0",
        f"Date: {date(t + dt.timedelta(minutes=10), pad=True)}",
        "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <a@tenant.example>",
        "To: Bob Example <bob@example.net>",
        "Subject: Re: Schichtplan",
        "User-Agent: K-9 Mail for Android",
        "In-Reply-To: <plan-0312@example.net>",
        "References: <plan-0311@example.net> <plan-0312@example.net>",
        f"Message-ID: <{uid('k9-2', True)}@tenant.example>",
        "Content-Type: multipart/alternative; boundary=" + b,
        "Content-Transfer-Encoding: 7bit",
    ], f"--{b}\nContent-Type: text/plain;\n charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
       + qp("Passt für mich.\n\nAm 12. März 2024 18:55:02 MEZ schrieb Bob Example <bob@example.net>:\n>Tauschen wir am Freitag?\n\n-- \nDiese Nachricht wurde von meinem Android-Gerät mit K-9 Mail gesendet.")
       + f"\n--{b}\nContent-Type: text/html;\n charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
       + qp('<html><head></head><body>Passt für mich.<br><br><div class="gmail_quote">Am 12. März 2024 18:55:02 MEZ schrieb Bob Example &lt;bob@example.net&gt;:<blockquote class="gmail_quote" style="margin: 0pt 0pt 0pt 0.8ex; border-left: 1px solid rgb(204, 204, 204); padding-left: 1ex;">Tauschen wir am Freitag?</blockquote></div></body></html>')
       + f"\n--{b}--\n")

    key = base64.b64encode(bytes.fromhex(h("autocrypt-k9") * 5)).decode()
    store("k9-style-autocrypt", [
        "MIME-Version: 1.0",
        f"Date: {date(t + dt.timedelta(minutes=25), pad=True)}",
        "From: Alice Tenant <a@tenant.example>",
        "To: Bob Example <bob@example.net>",
        "Subject: Encrypted next time?",
        "User-Agent: K-9 Mail for Android",
        f"Message-ID: <{uid('k9-3', True)}@tenant.example>",
        "Autocrypt: addr=a@tenant.example; prefer-encrypt=mutual; keydata=",
        *(" " + key[i : i + 76] for i in range(0, len(key), 76)),
        "Content-Type: text/plain;",
        " charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
    ], qp("My key is attached in the header.\n--\nSent from my Android device with K-9 Mail. Please excuse my brevity."))

    b = k9_boundary("k9-4")
    store("k9-style-emoji-name-attachment", [
        "MIME-Version: 1.0",
        f"Date: {date(t + dt.timedelta(minutes=40), pad=True)}",
        "From: =?UTF-8?B?8J+Ple+4jyBUZW5hbnQgU3VwcG9ydA==?= <shared@tenant.example>",
        "Sender: Alice Tenant <a@tenant.example>",
        "To: Bob Example <bob@example.net>",
        "Subject: Receipt",
        "User-Agent: K-9 Mail for Android",
        f"Message-ID: <{uid('k9-4', True)}@tenant.example>",
        "Content-Type: multipart/mixed; boundary=" + b,
        "Content-Transfer-Encoding: 7bit",
    ], f"--{b}\nContent-Type: text/plain;\n charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" + qp("Receipt attached.")
       + f"\n--{b}\nContent-Type: image/png;\n name=receipt.png\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment;\n filename=receipt.png;\n size={len(PNG)}\n\n"
       + b64(PNG).replace("\r\n", "\n") + f"\n--{b}--\n")


# ------------------------------------------------------------------ Japanese and Chinese desktop clients
def asian() -> None:
    t = dt.datetime(2024, 3, 13, 15, 20, 11, tzinfo=JST)
    store("becky-style-iso2022jp", [
        f"Date: {date(t, pad=True)}",
        f"From: {ew('株式会社テナント 山田 太郎', 'ISO-2022-JP')} <a@tenant.example>",
        f"To: {ew('佐藤 花子', 'ISO-2022-JP')} <hanako@example.jp>",
        f"Subject: {words('【重要】来週の全体会議の開始時刻の変更および会議室の変更について', 'ISO-2022-JP', 14)}",
        f"Message-Id: <20240313152011.{alnum('becky', 4)}.A{alnum('becky2', 5, '0123456789')}@tenant.example>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="ISO-2022-JP"',
        "Content-Transfer-Encoding: 7bit",
        "X-Mailer: Becky! ver. 2.81.04 [ja]",
    ], crlf("佐藤様\n\n来週の全体会議は十時開始、会議室は三階の大会議室に変更になりました。\n\n山田\n").encode("iso2022_jp"))

    tc = dt.datetime(2024, 3, 13, 16, 45, 12, tzinfo=CST)
    b = f"----=_001_NextPart{alnum('fox', 12, '0123456789')}_=----"
    # Foxmail puts the encoded word inside quotes: not what RFC 2047 allows, but what it sends.
    store("foxmail-style-gb2312-quoted-encoded-word", [
        f"Date: {date(tc)}",
        f'From: "{ew("张伟", "gb2312")}" <a@tenant.example>',
        'To: "bob" <bob@example.net>',
        f"Subject: {ew('会议时间调整', 'gb2312')}",
        "X-Priority: 3",
        f"X-GUID: {uid('fox-guid', True)}",
        "X-Has-Attach: no",
        "X-Mailer: Foxmail 7.2.25.228[cn]",
        "Mime-Version: 1.0",
        f"Message-ID: <20240313164512{alnum('fox-id', 10, '0123456789')}@tenant.example>",
        "Content-Type: multipart/alternative;",
        f'\tboundary="{b}"',
    ], (f"This is a multi-part message in MIME format.\r\n\r\n--{b}\r\nContent-Type: text/plain;\r\n\tcharset=\"gb2312\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + b64(crlf("各位：\n会议改到明天上午十点。\n\n张伟\n").encode("gb2312"))
        + f"\r\n\r\n--{b}\r\nContent-Type: text/html;\r\n\tcharset=\"gb2312\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        + quopri.encodestring('<html><head><meta http-equiv="content-type" content="text/html; charset=gb2312"></head><body>会议改到明天上午十点。</body></html>'.encode("gb2312")).decode()
        .replace("\n", "\r\n") + f"\r\n\r\n--{b}--\r\n").encode())


thunderbird()
outlook()
apple()
gmail()
k9()
asian()
print(f"client styles (reproductions): {len(written)} messages")
