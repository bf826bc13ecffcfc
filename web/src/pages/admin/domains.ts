// Admin: the tenant's sending domains. Claim one, publish the TXT record
// it shows, press Verify (the resolver's answer is shown as it came), and
// release a claim that is no longer wanted (an assigned one only the
// operator releases). The badges and the check line are shared with the
// operator's pages.

import { type Api, type Domain, seg } from '../../api';
import { type Child, h } from '../../dom';
import { type Key, t } from '../../i18n';
import { busy, button, copyField, type Ctx, date, dl, errorBox, markInvalid, messageSlot, notice, pageHead, textField } from '../../ui';

const STATE_CLASS: Record<string, string> = {
  pending: 'badge badge-warn',
  review: 'badge badge-warn',
  verified: 'badge badge-on',
  assigned: 'badge badge-on',
  lapsed: 'badge badge-off',
};

const STATES = ['pending', 'review', 'verified', 'lapsed', 'assigned'];
const RESULTS = ['found', 'no_such_name', 'no_record', 'wrong_value', 'resolver_failed'];

/** The claim's state as a badge (and "held by another tenant" when it is). */
export function domainState(d: Domain): HTMLElement {
  const known = STATES.includes(d.state);
  return h(
    'span',
    { class: 'domain-state', 'data-testid': 'domain-state', 'data-state': d.state },
    h('span', { class: STATE_CLASS[d.state] ?? 'badge' }, known ? t(`domain_state_${d.state}` as Key) : d.state),
    d.held_elsewhere ? h('span', { class: 'badge badge-off', 'data-testid': 'held-elsewhere' }, t('domain_held_elsewhere')) : null,
  );
}

/** What the resolver answered, in words. */
export function checkResultLabel(result: string): string {
  return RESULTS.includes(result) ? t(`check_${result}` as Key) : result;
}

/** The last lookup in one line: the answer, its time, and the resolver's own words. */
export function lastCheck(d: Domain): Child {
  const c = d.last_check;
  // An assigned domain is never looked up (the operator's word).
  if (!c) return d.state === 'assigned' ? '—' : h('span', { class: 'muted' }, t('domain_never_checked'));
  return h(
    'span',
    { class: 'check-line', 'data-testid': 'last-check', 'data-result': c.result },
    h('strong', null, checkResultLabel(c.result)),
    ' · ',
    date(c.at),
    c.detail ? h('span', { class: 'muted check-detail' }, c.detail) : null,
  );
}

/** The claim's dates (only those it has). */
export function domainFacts(d: Domain): HTMLElement {
  const rows: [string, Child][] = [[t('created'), date(d.created_at)]];
  if (d.verified_at) rows.push([t('domain_verified_at'), date(d.verified_at)]);
  if (d.lapsed_at) rows.push([t('domain_lapsed_at'), date(d.lapsed_at)]);
  if (d.missing_since) rows.push([t('domain_missing_since'), date(d.missing_since)]);
  if (d.failing_since) rows.push([t('domain_failing_since'), date(d.failing_since)]);
  if (d.last_check || d.state !== 'assigned') rows.push([t('domain_last_check'), lastCheck(d)]);
  return dl(rows);
}

/** The name to show: Unicode, with the A-labels when they differ. */
export function domainName(d: Domain): Child {
  return d.name_unicode && d.name_unicode !== d.name ? [d.name_unicode, ' ', h('span', { class: 'muted' }, `(${d.name})`)] : d.name;
}

function admin(ctx: Ctx): { api: Api; base: string } {
  if (ctx.session.role !== 'admin') throw new Error('admin page');
  return { api: ctx.session.api, base: `/tenants/${seg(ctx.session.tenant.id)}/domains` };
}

/** What a verify answered, as a notice (kept in the card's live region). */
function verifyNotice(d: Domain): HTMLElement {
  const c = d.last_check;
  const ok = d.state === 'verified' || d.state === 'assigned';
  const text = ok
    ? t('domain_verify_ok')
    : c
      ? t('domain_verify_failed', { result: checkResultLabel(c.result), detail: c.detail })
      : t('domain_verify_nothing');
  return h('div', { class: ok ? 'notice notice-ok' : 'notice notice-warn', 'data-result': c?.result ?? '', 'data-state': d.state }, text);
}

export async function domainsPage(ctx: Ctx): Promise<Node> {
  const { api, base } = admin(ctx);
  const domains = await api.all<Domain>(base);
  const message = messageSlot();
  const name = textField(t('domain_name'), { name: 'name', required: true, hint: t('domain_name_hint'), placeholder: 'example.com' });
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card form',
      onsubmit: (ev) => {
        ev.preventDefault();
        void busy(form, async () => {
          message.show(null);
          try {
            const d = await api.post<Domain>(base, { name: name.input.value.trim() });
            ctx.flash(t('domain_claimed', { name: d.name }));
            ctx.refresh();
          } catch (e) {
            markInvalid(form, e);
            message.show(errorBox(e));
          }
        });
      },
    },
    h('h2', null, t('domain_claim_title')),
    name.el,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('domain_claim'))),
  );

  function card(d: Domain): HTMLElement {
    const path = `${base}/${seg(d.id)}`;
    const result = h('div', { class: 'verify-result', role: 'status', 'aria-live': 'polite', 'data-testid': 'domain-verify-result' });
    const headId = `domain-${d.id}`;
    const state = h('div', { class: 'contents' }, domainState(d));
    const facts = h('div', { class: 'contents' }, domainFacts(d));
    const record = d.records[0];
    const showRecord = record && d.state !== 'assigned';
    const verifyButton =
      d.state === 'assigned' ? null : button(t('domain_verify'), () => void verify(), 'primary', { 'data-testid': 'domain-verify', 'aria-label': `${t('domain_verify')}: ${d.name}` });
    const releaseButton = d.state === 'assigned' ? null : button(t('domain_release'), () => void release(), 'danger', { 'data-testid': 'domain-release', 'aria-label': `${t('domain_release')}: ${d.name}` });
    const el = h(
      'article',
      { class: 'card domain-card', 'data-domain': d.name, 'aria-labelledby': headId },
      h('h2', { id: headId }, domainName(d)),
      state,
      d.state === 'review' ? notice('info', t('domain_review_hint')) : null,
      d.state === 'lapsed' ? notice('warn', t('domain_lapsed_hint')) : null,
      d.state === 'assigned' ? h('p', { class: 'hint' }, t('domain_assigned_hint')) : null,
      d.held_elsewhere ? notice('warn', t('domain_held_elsewhere_hint')) : null,
      facts,
      showRecord
        ? h(
            'div',
            { class: 'domain-record', 'data-testid': 'domain-record' },
            h('h3', null, t('domain_record_title', { type: record.type })),
            h('p', { class: 'hint' }, d.state === 'verified' ? t('domain_record_keep') : t('domain_record_hint')),
            copyField(t('domain_record_name'), record.name, 'record-name'),
            copyField(t('domain_record_value'), record.value, 'record-value'),
          )
        : null,
      h('div', { class: 'verify' }, verifyButton, releaseButton),
      result,
    );

    async function verify(): Promise<void> {
      if (!verifyButton) return;
      result.replaceChildren(t('domain_verify_running'));
      verifyButton.disabled = true;
      try {
        const fresh = await api.post<Domain>(`${path}/verify`, {});
        state.replaceChildren(domainState(fresh));
        facts.replaceChildren(domainFacts(fresh));
        result.replaceChildren(verifyNotice(fresh));
      } catch (e) {
        result.replaceChildren(errorBox(e));
      } finally {
        verifyButton.disabled = false;
      }
    }

    async function release(): Promise<void> {
      if (!confirm(t('domain_release_confirm', { name: d.name }))) return;
      try {
        await api.del(path);
        ctx.flash(t('domain_released', { name: d.name }));
        ctx.refresh();
      } catch (e) {
        result.replaceChildren(errorBox(e));
      }
    }

    return el;
  }

  return h(
    'section',
    null,
    pageHead(t('domains_title'), t('domains_intro')),
    message.el,
    form,
    domains.length === 0 ? h('p', { class: 'empty' }, t('domains_none')) : h('div', { class: 'domain-list' }, domains.map(card)),
    h('p', { class: 'hint' }, t('domains_confirm_instead')),
  );
}

