// Admin: whether a mailbox's address is owned (the list's column, the
// form's notice), and confirming a single address by a code mailed to it
// (for a tenant that cannot publish a DNS record for its domain).

import { type Api, ApiError, type Confirmation, type Mailbox, OWNED, type Ownership, seg } from '../../api';
import { h } from '../../dom';
import { formatDate, type Key, t } from '../../i18n';
import { busy, button, date, errorBox, markInvalid, notice, textField } from '../../ui';

const KNOWN: Ownership[] = ['verified_domain', 'confirmed', 'operator', 'pending_domain', 'lapsed_domain', 'unconfirmed'];

export function isOwned(m: Mailbox): boolean {
  return m.ownership === undefined || OWNED.includes(m.ownership);
}

function label(o: Ownership): string {
  return KNOWN.includes(o) ? t(`ownership_${o}` as Key) : o;
}

/** The list's cell: the reason as a badge; not owned ones say they are not usable. */
export function ownershipCell(m: Mailbox): HTMLElement | string {
  const o = m.ownership;
  if (!o) return '—';
  const owned = OWNED.includes(o);
  return h(
    'span',
    { class: 'ownership-cell', 'data-testid': 'ownership', 'data-ownership': o },
    h('span', { class: owned ? 'badge badge-on' : 'badge badge-off' }, label(o)),
    owned ? null : h('span', { class: 'warn-text' }, t('ownership_not_usable')),
  );
}

/** The form's notice of why the address is (not) usable. */
export function ownershipNotice(m: Mailbox): HTMLElement | null {
  const o = m.ownership;
  if (!o) return null;
  if (OWNED.includes(o)) return h('p', { class: 'hint', 'data-testid': 'ownership-line', 'data-ownership': o }, t('ownership_line_owned', { reason: label(o) }));
  return h(
    'div',
    { class: 'notice notice-warn', role: 'status', 'data-testid': 'ownership-line', 'data-ownership': o },
    h('strong', null, t('ownership_line_not_owned', { reason: label(o) })),
    h('p', null, t(`ownership_help_${o}` as Key), ' ', h('a', { href: '#/domains' }, t('ownership_to_domains'))),
  );
}

/** The confirmation's state in words (codes sent, the code in flight). */
function stateLine(c: Confirmation | null): HTMLElement {
  const parts: string[] = [];
  if (!c || (!c.code_expires_at && c.codes_sent_today === 0)) parts.push(t('confirm_no_code'));
  else {
    if (c.code_expires_at) parts.push(t('confirm_code_waiting', { until: formatDate(c.code_expires_at), tries: c.tries_left }));
    else parts.push(t('confirm_no_code_waiting'));
    parts.push(t('confirm_codes_today', { n: c.codes_sent_today }));
  }
  return h('p', { class: 'hint', 'data-testid': 'confirmation-state' }, parts.join(' '));
}

/**
 * "Confirm this address": send a code to it, then enter the code. Shown
 * for an existing, not-owned mailbox; `done` re-renders the page once the
 * address is confirmed.
 */
export async function confirmationSection(api: Api, base: string, m: Mailbox, done: (text: string) => void): Promise<HTMLElement | null> {
  if (m.system || isOwned(m)) return null;
  const path = `${base}/mailboxes/${seg(m.id)}/confirmation`;
  let current: Confirmation | null = null;
  try {
    current = await api.get<Confirmation>(path);
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
  }
  const state = h('div', { class: 'contents' }, stateLine(current));
  const result = h('div', { class: 'verify-result', role: 'status', 'aria-live': 'polite', 'data-testid': 'confirmation-result' });
  const headId = `confirm-${m.id}`;
  const sendButton = button(t('confirm_send_code'), () => void send(), 'primary', { 'data-testid': 'confirmation-send' });
  const code = textField(t('confirm_code'), { name: 'code', required: true, autocomplete: 'one-time-code', hint: t('confirm_code_hint') });
  const codeForm: HTMLFormElement = h(
    'form',
    { class: 'confirm-code', 'data-testid': 'confirmation-code-form', onsubmit: (ev) => void enter(ev) },
    code.el,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-secondary' }, t('confirm_enter'))),
  );

  async function send(): Promise<void> {
    result.replaceChildren(t('confirm_sending'));
    sendButton.disabled = true;
    try {
      const c = await api.post<Confirmation>(path, {});
      state.replaceChildren(stateLine(c));
      result.replaceChildren(
        h('div', { class: 'notice notice-ok', 'data-outcome': 'sent' }, t('confirm_sent', { address: c.address, until: c.code_expires_at ? formatDate(c.code_expires_at) : '—' })),
      );
      code.input.focus();
    } catch (e) {
      result.replaceChildren(errorBox(e, e instanceof ApiError && e.type === 'too_many_codes' ? t('confirm_too_many_title') : undefined));
    } finally {
      sendButton.disabled = false;
    }
  }

  async function enter(ev: SubmitEvent): Promise<void> {
    ev.preventDefault();
    await busy(codeForm, async () => {
      result.replaceChildren();
      try {
        await api.post<Confirmation>(`${path}/code`, { code: code.input.value.trim() });
        done(t('confirm_done', { address: m.address }));
      } catch (e) {
        markInvalid(codeForm, e);
        if (e instanceof ApiError && e.status === 422) code.input.setAttribute('aria-invalid', 'true');
        result.replaceChildren(errorBox(e, e instanceof ApiError && e.type === 'code_locked' ? t('confirm_locked_title') : undefined));
        try {
          state.replaceChildren(stateLine(await api.get<Confirmation>(path)));
        } catch {
          /* the error above says enough */
        }
      }
    });
  }

  return h(
    'section',
    { class: 'card confirmation', 'aria-labelledby': headId, 'data-testid': 'confirmation' },
    h('h2', { id: headId }, t('confirm_title')),
    h('p', { class: 'hint' }, t('confirm_intro', { address: m.address })),
    current?.confirmed_at ? notice('info', [t('confirm_was_confirmed'), ' ', date(current.confirmed_at)]) : null,
    state,
    h('div', { class: 'verify' }, sendButton),
    codeForm,
    result,
  );
}
