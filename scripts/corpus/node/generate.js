// Legitimate mail composed by nodemailer (MailComposer behind streamTransport
// with buffer: true: nothing goes over a network). Each message is stored as
// nodemailer-NAME.eml, exactly the bytes nodemailer would hand to SMTP.
//
// Usage: node generate.js OUTDIR
// Deterministic except nodemailer-dkim-signed.eml (a fresh DKIM key per run).
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const nodemailer = require('nodemailer');

const out = process.argv[2];
if (!out) {
    console.error('usage: node generate.js OUTDIR');
    process.exit(2);
}

const ALICE = { name: 'Alice Tenant', address: 'a@tenant.example' };
const BOB = { name: 'Bob Example', address: 'bob@example.net' };
const PNG = Buffer.from(
    '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
        '1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5e1' +
        'c2d00000000049454e44ae426082',
    'hex'
);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

const plain = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
let n = 0;
const written = [];

async function mail(name, options, transport = plain) {
    n += 1;
    const hash = crypto.createHash('sha256').update(name).digest('hex');
    const defaults = {
        from: ALICE,
        to: BOB,
        date: new Date(Date.UTC(2024, 2, 2, 8, n * 3, 0)),
        // nodemailer's own Message-ID shape is <uuid@host>; this one is fixed.
        messageId: `<${hash.slice(0, 8)}-${hash.slice(8, 12)}-${hash.slice(12, 16)}-${hash.slice(16, 20)}-${hash.slice(20, 32)}@tenant.example>`,
        baseBoundary: hash.slice(32, 48),
        disableFileAccess: true,
        disableUrlAccess: true
    };
    const info = await transport.sendMail({ ...defaults, ...options });
    const file = `nodemailer-${name}.eml`;
    fs.writeFileSync(path.join(out, file), info.message);
    written.push(file);
}

const ics = [
    'BEGIN:VCALENDAR',
    'PRODID:-//sendas corpus//nodemailer//EN',
    'VERSION:2.0',
    'METHOD:REQUEST',
    'BEGIN:VEVENT',
    'UID:planning-20240307@tenant.example',
    'DTSTAMP:20240302T080000Z',
    'DTSTART:20240307T130000Z',
    'DTEND:20240307T140000Z',
    'SUMMARY:Sprint planning',
    'ORGANIZER;CN=Alice Tenant:mailto:a@tenant.example',
    'ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Bob Example:mailto:bob@example.net',
    'SEQUENCE:0',
    'STATUS:CONFIRMED',
    'END:VEVENT',
    'END:VCALENDAR',
    ''
].join('\r\n');

const forwarded = [
    'From: Dana Vendor <dana@example.com>',
    'To: Alice Tenant <a@tenant.example>',
    'Sender: Vendor Billing <billing@example.com>',
    'Subject: Invoice 2024-031',
    'Date: Thu, 29 Feb 2024 11:02:00 +0000',
    'Message-ID: <inv-2024-031@example.com>',
    '',
    'Your invoice is attached.',
    ''
].join('\r\n');

async function main() {
    fs.mkdirSync(out, { recursive: true });

    await mail('plain', { subject: 'Status update', text: 'Hi Bob,\n\nall green this week.\n\nAlice\n' });
    await mail('html-text-alternative', {
        subject: 'Welcome aboard',
        text: 'Welcome aboard!\n\nYour account is ready.',
        html: '<p>Welcome aboard!</p><p>Your account is <b>ready</b>.</p>'
    });
    await mail('quoted-pair-name', {
        from: { name: 'Ann "Boss" Tenant', address: 'a@tenant.example' },
        subject: 'Budget sign-off',
        text: 'Approved.\n'
    });
    await mail('string-from-quoted-pair', {
        from: '"Ann \\"Boss\\" Tenant" <a@tenant.example>',
        subject: 'Budget sign-off (2)',
        text: 'Approved again.\n'
    });
    await mail('comma-name', { from: { name: 'Tenant, Alice', address: 'a@tenant.example' }, subject: 'Re: offer', text: 'Thanks!\n' });
    await mail('utf8-name', {
        from: { name: 'Jürgen Müller', address: 'a@tenant.example' },
        to: { name: 'Zoë Faure', address: 'zoe@example.org' },
        subject: 'Grüße aus Köln',
        text: 'Hallo Zoë, viele Grüße aus Köln!\n'
    });
    await mail('cjk-name-subject', {
        from: { name: '山田 太郎', address: 'a@tenant.example' },
        to: { name: '佐藤 花子', address: 'hanako@example.jp' },
        subject: '来週の打ち合わせについて',
        text: '佐藤様\n\n来週の打ち合わせは水曜日の午後でいかがでしょうか。\n\n山田\n'
    });
    await mail('cyrillic-name', {
        from: { name: 'Иван Петров', address: 'a@tenant.example' },
        subject: 'Счёт за март',
        text: 'Добрый день! Счёт за март во вложении.\n',
        attachments: [{ filename: 'счёт-март-2024.pdf', content: PDF, contentType: 'application/pdf' }]
    });
    await mail('emoji-zwj-name', {
        from: { name: '👩‍💻 Alice Tenant', address: 'a@tenant.example' },
        subject: 'Build is green ✅',
        text: 'All tests pass. 🎉\n'
    });
    await mail('emoji-variation-selector-name', {
        from: { name: '✉️ Tenant Mailroom', address: 'shared@tenant.example' },
        subject: 'Parcel for you 📦',
        text: 'A parcel is waiting at reception.\n'
    });
    await mail('idn-ulabel-punycoded', {
        from: { name: 'Anaïs Tenant', address: 'a@ténant.example' },
        subject: 'Nouvelle adresse',
        text: 'nodemailer writes the domain as an A-label.\n'
    });
    await mail('alabel-from', {
        from: 'Anaïs Tenant <a@xn--tnant-bsa.example>',
        subject: 'Adresse (A-label)',
        text: 'Bonjour.\n'
    });
    await mail('uppercase-address', { from: 'Alice Tenant <A@Tenant.Example>', subject: 'Caps', text: 'Address typed in capitals.\n' });
    await mail('on-behalf', {
        from: { name: 'Tenant Support', address: 'shared@tenant.example' },
        sender: ALICE,
        subject: 'Ticket 9931 closed',
        text: 'Your ticket has been closed.\n'
    });
    await mail('reply-to-two', {
        replyTo: [{ name: 'Replies', address: 'reply@tenant.example' }, { name: 'Tenant Support', address: 'shared@tenant.example' }],
        subject: 'Survey',
        text: 'Reply to either address.\n'
    });
    await mail('reply-to-cc-bcc', {
        replyTo: 'reply@tenant.example',
        cc: ['Carol <carol@example.org>', 'dave@example.com'],
        bcc: 'archive@example.com',
        subject: 'Meeting notes',
        text: 'Notes attached inline below.\n'
    });
    await mail('attachment-rfc2231', {
        subject: 'Unterlagen',
        text: 'Anbei die Unterlagen.\n',
        attachments: [
            {
                filename: 'Präsentation für den Aufsichtsrat – Strategie 2025 bis 2030 (vertraulich, endgültige Fassung).pdf',
                content: PDF,
                contentType: 'application/pdf'
            },
            { filename: 'data.csv', content: 'a,b\n1,2\n' }
        ]
    });
    await mail('inline-image-cid', {
        subject: 'Floor plan',
        html: '<p>The new floor plan:</p><img src="cid:floorplan@tenant.example">',
        text: 'The new floor plan is in the HTML part.',
        attachments: [{ filename: 'floorplan.png', content: PNG, cid: 'floorplan@tenant.example' }]
    });
    await mail('forward-rfc822', {
        subject: 'Fwd: Invoice 2024-031',
        text: 'Forwarding the vendor invoice.\n',
        attachments: [{ filename: 'Invoice 2024-031.eml', content: forwarded, contentType: 'message/rfc822' }]
    });
    await mail('icalevent-request', {
        subject: 'Invitation: Sprint planning',
        text: 'You are invited to the sprint planning on Thursday.',
        icalEvent: { filename: 'invite.ics', method: 'request', content: ics }
    });
    await mail('list-headers', {
        from: { name: 'Tenant Newsletter', address: 'shared@tenant.example' },
        to: 'subscriber@example.net',
        replyTo: 'reply@tenant.example',
        subject: 'Product news, March',
        text: 'What is new this month.\n',
        html: '<h1>What is new this month</h1>',
        list: {
            id: { url: 'news.tenant.example', comment: 'Tenant product news' },
            unsubscribe: [{ url: 'https://tenant.example/unsubscribe?u=8f2a', comment: 'Unsubscribe' }, 'unsubscribe@tenant.example'],
            help: 'help@tenant.example?subject=help',
            post: 'announce@lists.tenant.example',
            archive: 'https://tenant.example/news/archive'
        },
        headers: { Precedence: 'bulk', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }
    });
    await mail('read-receipt', {
        subject: 'Please confirm',
        text: 'Please confirm that you got this.\n',
        headers: { 'Disposition-Notification-To': 'Alice Tenant <a@tenant.example>' }
    });
    const refs = Array.from({ length: 30 }, (_, i) => `<msg-${i + 1}.${(i + 1) * 7919}@example.org>`);
    await mail('references-30', {
        subject: 'Re: Roadmap discussion',
        inReplyTo: refs[29],
        references: refs,
        text: 'Fine with me.\n'
    });
    await mail('long-subject', {
        subject:
            'Reminder: please submit your travel expenses for February, including receipts for hotels, trains and taxis, before the end of next week so that accounting can close the month on time',
        text: 'Thanks!\n'
    });
    await mail('priority-high', { priority: 'high', subject: 'Server down', text: 'The build server is down.\n' });
    await mail('base64-text', { subject: 'Base64 body', text: 'Ünïcödé body encoded as base64.\n', textEncoding: 'base64' });
    await mail('long-line-qp', { subject: 'Long line', text: 'x'.repeat(1200) + '\n' });
    await mail('amp-alternative', {
        subject: 'Your order',
        text: 'Your order has shipped.',
        html: '<p>Your order has shipped.</p>',
        amp: '<!doctype html><html ⚡4email data-css-strict><head><meta charset="utf-8"><script async src="https://cdn.ampproject.org/v0.js"></script><style amp4email-boilerplate>body{visibility:hidden}</style></head><body><p>Your order has shipped.</p></body></html>'
    });

    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
    const dkim = nodemailer.createTransport({
        streamTransport: true,
        buffer: true,
        newline: 'windows',
        dkim: { domainName: 'tenant.example', keySelector: 'corpus', privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }) }
    });
    await mail('dkim-signed', { subject: 'Signed with DKIM', text: 'This message carries a DKIM-Signature.\n' }, dkim);

    console.log(`nodemailer: ${written.length} messages`);
}

main().catch(err => {
    console.error(err);
    process.exit(1);
});
