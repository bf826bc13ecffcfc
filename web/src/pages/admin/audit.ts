// Admin: the audit log with filters (time range, mailbox, page size) and
// paging by the API's `next` cursor.

import type { AuditRecord, ListPage, Mailbox, User } from '../../api';
import { h } from '../../dom';
import { formatBytes, formatNumber, t } from '../../i18n';
import { button, type Ctx, date, errorBox, pageHead, selectField, table, textField } from '../../ui';
import { adminOf } from './users';

/** `datetime-local` value (local time) -> RFC 3339 (UTC). */
function toRfc3339(local: string): string | null {
  if (!local) return null;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

interface Query {
  from: string;
  to: string;
  mailbox: string;
  limit: string;
}

let query: Query = { from: '', to: '', mailbox: '', limit: '20' };
/** Cursors of the pages before the current one (for "newer"). */
let cursors: (string | undefined)[] = [];
let cursor: string | undefined;

export async function auditPage(ctx: Ctx): Promise<Node> {
  const { api, base } = adminOf(ctx);
  const [mailboxes, users] = await Promise.all([api.all<Mailbox>(`${base}/mailboxes`), api.all<User>(`${base}/users`)]);
  const login = new Map(users.map((u) => [u.id, u.login]));

  const from = textField(t('audit_from'), { name: 'from', type: 'datetime-local', value: query.from });
  const to = textField(t('audit_to'), { name: 'to', type: 'datetime-local', value: query.to });
  const mailbox = selectField(
    t('audit_mailbox'),
    'mailbox_id',
    [{ value: '', label: t('audit_all_mailboxes') }, ...mailboxes.map((m) => ({ value: m.id, label: m.address }))],
    query.mailbox,
  );
  const limit = selectField(t('audit_page_size'), 'limit', ['1', '20', '50', '100'].map((v) => ({ value: v, label: v })), query.limit);

  const params = new URLSearchParams({ limit: query.limit });
  const f = toRfc3339(query.from);
  const tt = toRfc3339(query.to);
  if (f) params.set('from', f);
  if (tt) params.set('to', tt);
  if (query.mailbox) params.set('mailbox_id', query.mailbox);
  if (cursor) params.set('after', cursor);

  let page: ListPage<AuditRecord> | null = null;
  let error: Node | null = null;
  try {
    page = await api.get<ListPage<AuditRecord>>(`${base}/audit?${params.toString()}`);
  } catch (e) {
    error = errorBox(e);
  }

  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card filters',
      onsubmit: (ev) => {
        ev.preventDefault();
        query = { from: from.input.value, to: to.input.value, mailbox: mailbox.input.value, limit: limit.input.value };
        cursors = [];
        cursor = undefined;
        ctx.refresh();
      },
    },
    h('div', { class: 'grid-4' }, from.el, to.el, mailbox.el, limit.el),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('audit_apply'))),
  );

  const records = page?.items ?? [];
  const next = page?.next;
  const pager = h(
    'nav',
    { class: 'pager', 'aria-label': t('audit_title') },
    button(t('audit_newer'), () => {
      cursor = cursors.pop();
      ctx.refresh();
    }, 'secondary', { disabled: cursors.length === 0, 'data-testid': 'newer' }),
    h('span', { class: 'muted', 'data-testid': 'page-number' }, t('audit_page', { n: cursors.length + 1 })),
    button(t('audit_older'), () => {
      cursors.push(cursor);
      cursor = next;
      ctx.refresh();
    }, 'secondary', { disabled: !next, 'data-testid': 'older' }),
  );

  return h(
    'section',
    { 'data-query': params.toString() },
    pageHead(t('audit_title'), t('audit_intro')),
    form,
    error,
    table(
      t('audit_caption'),
      [
        { head: t('audit_time'), cell: (r: AuditRecord) => date(r.at), class: 'nowrap' },
        {
          head: t('audit_outcome'),
          cell: (r) => h('span', { class: r.outcome === 'accepted' ? 'badge badge-on' : 'badge badge-off' }, r.outcome === 'accepted' ? t('outcome_accepted') : t('outcome_rejected')),
        },
        { head: t('audit_code'), cell: (r) => String(r.smtp_code) },
        { head: t('user'), cell: (r) => (r.user_id ? (login.get(r.user_id) ?? r.user_id) : '—') },
        { head: t('audit_sending'), cell: (r) => r.sending_address ?? '—' },
        { head: t('audit_envelope'), cell: (r) => r.envelope_sender ?? '—' },
        { head: t('audit_recipients'), cell: (r) => formatNumber(r.recipients), class: 'right' },
        { head: t('audit_size'), cell: (r) => formatBytes(r.size), class: 'right nowrap' },
        { head: t('audit_reply'), cell: (r) => h('span', { class: 'reply-text' }, r.smtp_reply, r.upstream_reply ? h('span', { class: 'muted' }, ` (${r.upstream_reply})`) : null) },
      ],
      records,
      (r) => ({ 'data-audit': r.id, 'data-code': String(r.smtp_code) }),
    ),
    pager,
  );
}

/** Used by the router to reset paging when the page is entered anew. */
export function resetAudit(): void {
  cursors = [];
  cursor = undefined;
}
