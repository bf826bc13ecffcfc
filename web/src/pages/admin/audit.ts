// Admin: the audit log with filters (time range, mailbox, user, outcome,
// page size) and paging by the API's `next` cursor.

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
  user: string;
  outcome: '' | AuditRecord['outcome'];
  limit: string;
}

let query: Query = { from: '', to: '', mailbox: '', user: '', outcome: '', limit: '20' };
/** Cursors of the pages before the current one (for "newer"). */
let cursors: (string | undefined)[] = [];
let cursor: string | undefined;

const OUTCOMES: AuditRecord['outcome'][] = ['accepted', 'rejected', 'deferred'];

function isOutcome(v: string): v is AuditRecord['outcome'] {
  return (OUTCOMES as string[]).includes(v);
}

/** The outcome as a badge: accepted (green), refused (red), deferred (amber: the client retries),
 * uncertain (amber: the upstream's reply to the message never came; it may have been delivered). */
function outcomeBadge(outcome: AuditRecord['outcome']): HTMLElement {
  switch (outcome) {
    case 'accepted':
      return h('span', { class: 'badge badge-on' }, t('outcome_accepted'));
    case 'deferred':
      return h('span', { class: 'badge badge-warn' }, t('outcome_deferred'));
    case 'uncertain':
      return h('span', { class: 'badge badge-warn' }, t('outcome_uncertain'));
    default:
      return h('span', { class: 'badge badge-off' }, t('outcome_rejected'));
  }
}

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
  const user = selectField(
    t('user'),
    'user_id',
    [{ value: '', label: t('audit_all_users') }, ...users.map((u) => ({ value: u.id, label: `${u.name} (${u.login})` }))],
    query.user,
  );
  const outcome = selectField(
    t('audit_outcome'),
    'outcome',
    [
      { value: '', label: t('audit_all_outcomes') },
      { value: 'accepted', label: t('outcome_accepted') },
      { value: 'rejected', label: t('outcome_rejected') },
      { value: 'deferred', label: t('outcome_deferred') },
      { value: 'uncertain', label: t('outcome_uncertain') },
    ],
    query.outcome,
  );
  const limit = selectField(t('audit_page_size'), 'limit', ['1', '20', '50', '100'].map((v) => ({ value: v, label: v })), query.limit);

  const params = new URLSearchParams({ limit: query.limit });
  const f = toRfc3339(query.from);
  const tt = toRfc3339(query.to);
  if (f) params.set('from', f);
  if (tt) params.set('to', tt);
  if (query.mailbox) params.set('mailbox_id', query.mailbox);
  if (query.user) params.set('user_id', query.user);
  if (query.outcome) params.set('outcome', query.outcome);
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
        const o = outcome.input.value;
        query = {
          from: from.input.value,
          to: to.input.value,
          mailbox: mailbox.input.value,
          user: user.input.value,
          outcome: isOutcome(o) ? o : '',
          limit: limit.input.value,
        };
        cursors = [];
        cursor = undefined;
        ctx.refresh();
      },
    },
    h('div', { class: 'grid-filters' }, from.el, to.el, mailbox.el, user.el, outcome.el, limit.el),
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
          cell: (r) => outcomeBadge(r.outcome),
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
      (r) => ({ 'data-audit': r.id, 'data-code': String(r.smtp_code), 'data-outcome': r.outcome, 'data-user': r.user_id ?? '' }),
    ),
    pager,
  );
}

/** Used by the router to reset paging when the page is entered anew. */
export function resetAudit(): void {
  cursors = [];
  cursor = undefined;
}
