// Operator: the platform domains and the platform's sender, every
// tenant's domain claims (the review queue) with release, and a tenant's
// domains with assigning one to it (on the tenant's page).

import { type Domain, type PlatformDomains, seg, type Tenant } from '../api';
import { h } from '../dom';
import { t } from '../i18n';
import { busy, button, type Ctx, date, errorBox, markInvalid, messageSlot, notice, pageHead, table, textAreaField, textField } from '../ui';
import { domainName, domainState, lastCheck } from './admin/domains';

/** Which tenant made each claim (its `tenant_id`), by claim id. */
function claimOwners(claims: Domain[], tenants: Tenant[]): Map<string, Tenant> {
  const byId = new Map(tenants.map((x) => [x.id, x] as const));
  const owners = new Map<string, Tenant>();
  for (const d of claims) {
    const x = byId.get(d.tenant_id);
    if (x) owners.set(d.id, x);
  }
  return owners;
}

async function release(ctx: Ctx, tenantId: string, d: Domain, show: (n: Node | null) => void): Promise<void> {
  if (!confirm(t('domain_release_confirm', { name: d.name }))) return;
  try {
    await ctx.session.api.del(`/tenants/${seg(tenantId)}/domains/${seg(d.id)}`);
    ctx.flash(t('domain_released', { name: d.name }));
    ctx.refresh();
  } catch (e) {
    show(errorBox(e));
  }
}

/** Assigns a claim (e.g. one in review) to the tenant that made it. */
function assignButton(ctx: Ctx, tenant: Tenant, d: Domain, show: (n: Node | null) => void): HTMLButtonElement {
  const b = button(
    t('assign'),
    () =>
      void (async () => {
        b.disabled = true;
        try {
          await ctx.session.api.post<Domain>(`/tenants/${seg(tenant.id)}/domain-assignments`, { name: d.name });
          ctx.flash(t('assigned_ok', { name: d.name, tenant: tenant.name }));
          ctx.refresh();
        } catch (e) {
          show(errorBox(e));
        } finally {
          b.disabled = false;
        }
      })(),
    'secondary',
    { 'aria-label': `${t('assign')}: ${d.name}` },
  );
  return b;
}

function releaseButton(ctx: Ctx, tenantId: string, d: Domain, show: (n: Node | null) => void): HTMLButtonElement {
  return button(t('domain_release'), () => void release(ctx, tenantId, d, show), 'danger', { 'aria-label': `${t('domain_release')}: ${d.name}` });
}

export async function platformDomainsPage(ctx: Ctx): Promise<Node> {
  const api = ctx.session.api;
  const [platform, claims, tenants] = await Promise.all([
    api.get<PlatformDomains>('/platform-domains'),
    api.all<Domain>('/domains'),
    api.all<Tenant>('/tenants'),
  ]);
  const owners = claimOwners(claims, tenants);
  const message = messageSlot();
  const listMessage = messageSlot();
  const domains = textAreaField(t('platform_domains'), { name: 'domains', value: platform.domains.join('\n'), rows: 3, hint: t('platform_domains_hint') });
  const sender = textField(t('platform_sender'), { name: 'sender', type: 'email', value: platform.sender ?? '', hint: t('platform_sender_hint'), placeholder: 'no-reply@mail.example.com' });
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card form',
      'data-testid': 'platform-domains-form',
      onsubmit: (ev) => {
        ev.preventDefault();
        void busy(form, async () => {
          message.show(null);
          try {
            await api.put<PlatformDomains>('/platform-domains', {
              domains: domains.input.value
                .split(/[\s,]+/)
                .map((d) => d.trim())
                .filter((d) => d !== ''),
              sender: sender.input.value.trim() || null,
            });
            ctx.flash(t('saved'));
            ctx.refresh();
          } catch (e) {
            markInvalid(form, e);
            message.show(errorBox(e));
          }
        });
      },
    },
    h('h2', null, t('platform_domains_title')),
    h('div', { class: 'grid-2' }, domains.el, sender.el),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('save'))),
  );
  const waiting = claims.filter((d) => d.state === 'review').length;
  return h(
    'section',
    null,
    pageHead(t('platform_title'), t('platform_intro')),
    message.el,
    platform.sender ? null : notice('warn', t('platform_sender_missing')),
    form,
    h('h2', null, t('claims_title')),
    h('p', { class: 'hint' }, t('claims_intro')),
    waiting ? notice('info', t('claims_review_waiting', { n: waiting })) : null,
    listMessage.el,
    table(
      t('claims_title'),
      [
        { head: t('domain'), cell: (d: Domain) => domainName(d) },
        {
          head: t('tenant'),
          cell: (d) => {
            const x = owners.get(d.id);
            return x ? h('a', { href: `#/tenants/${x.id}` }, x.name) : '—';
          },
        },
        { head: t('status'), cell: (d) => domainState(d) },
        { head: t('domain_last_check'), cell: (d) => lastCheck(d) },
        { head: t('created'), cell: (d) => date(d.created_at) },
        {
          head: t('actions'),
          cell: (d) => {
            const x = owners.get(d.id);
            if (!x) return null;
            return h(
              'div',
              { class: 'form-actions row-actions' },
              d.state === 'assigned' || d.held_elsewhere ? null : assignButton(ctx, x, d, listMessage.show),
              releaseButton(ctx, x.id, d, listMessage.show),
            );
          },
        },
      ],
      claims,
      (d) => ({ 'data-claim': d.name, 'data-tenant': owners.get(d.id)?.name }),
    ),
  );
}

/** The tenant page's part: its domains (release) and assigning one to it. */
export async function tenantDomainsSection(ctx: Ctx, tenant: Tenant): Promise<HTMLElement> {
  const api = ctx.session.api;
  const base = `/tenants/${seg(tenant.id)}`;
  const claims = await api.all<Domain>(`${base}/domains`);
  const message = messageSlot();
  const name = textField(t('domain_name'), { name: 'name', required: true, hint: t('assign_hint'), placeholder: 'example.com' });
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'form',
      'data-testid': 'assign-form',
      onsubmit: (ev) => {
        ev.preventDefault();
        void busy(form, async () => {
          message.show(null);
          try {
            const d = await api.post<Domain>(`${base}/domain-assignments`, { name: name.input.value.trim() });
            ctx.flash(t('assigned_ok', { name: d.name, tenant: tenant.name }));
            ctx.refresh();
          } catch (e) {
            markInvalid(form, e);
            message.show(errorBox(e));
          }
        });
      },
    },
    h('h3', null, t('assign_title')),
    name.el,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('assign'))),
  );
  return h(
    'section',
    { class: 'card', 'data-testid': 'tenant-domains' },
    h('h2', null, t('tenant_domains_title')),
    table(
      t('tenant_domains_title'),
      [
        { head: t('domain'), cell: (d: Domain) => domainName(d) },
        { head: t('status'), cell: (d) => domainState(d) },
        { head: t('domain_last_check'), cell: (d) => lastCheck(d) },
        { head: t('created'), cell: (d) => date(d.created_at) },
        { head: t('actions'), cell: (d) => releaseButton(ctx, tenant.id, d, message.show) },
      ],
      claims,
      (d) => ({ 'data-claim': d.name }),
    ),
    message.el,
    form,
  );
}
