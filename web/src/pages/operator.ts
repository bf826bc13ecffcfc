// Operator: tenants (create, quota, enable/disable, sending limits, admin
// tokens, its domains: operatorDomains.ts) and the system relay.

import { type Relay, seg, type Tenant, type TenantCreated, type TenantLimits, type TlsName } from '../api';
import { h } from '../dom';
import { formatNumber, t } from '../i18n';
import { busy, checkField, type Ctx, date, dl, errorBox, markInvalid, messageSlot, notice, pageHead, selectField, table, textField } from '../ui';
import { limitsEditor } from './limits';
import { tenantDomainsSection } from './operatorDomains';
import { issuedToken, tokensSection } from './tokens';

let created: TenantCreated | null = null;

export async function tenantsPage(ctx: Ctx): Promise<Node> {
  const api = ctx.session.api;
  const tenants = await api.all<Tenant>('/tenants');
  const message = messageSlot();
  const name = textField(t('name'), { name: 'name', required: true });
  const system = textField(t('system_address'), { name: 'system_address', type: 'email', required: true });
  const domains = textField(t('assigned_domains'), { name: 'domains', hint: t('assigned_domains_hint') });
  const company = textField(t('first_company'), { name: 'company_name' });
  const quota = textField(t('quota'), { name: 'mailbox_quota', type: 'number', value: '1', min: '0', inputmode: 'numeric', hint: t('quota_hint') });
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card form',
      onsubmit: (ev) => {
        ev.preventDefault();
        void busy(form, async () => {
          message.show(null);
          try {
            created = await api.post<TenantCreated>('/tenants', {
              name: name.input.value.trim(),
              system_address: system.input.value.trim(),
              domains: domains.input.value.split(',').map((d) => d.trim()).filter((d) => d !== ''),
              company_name: company.input.value.trim() || null,
              mailbox_quota: Number(quota.input.value),
            });
            ctx.refresh();
          } catch (e) {
            markInvalid(form, e);
            message.show(errorBox(e));
          }
        });
      },
    },
    h('h2', null, t('new_tenant')),
    h('div', { class: 'grid-2' }, name.el, system.el, domains.el, company.el, quota.el),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('create'))),
  );
  const fresh = created;
  created = null;
  return h(
    'section',
    null,
    pageHead(t('tenants_title'), t('tenants_intro')),
    message.el,
    fresh ? [notice('ok', [t('tenant_created'), ' ', h('code', null, fresh.tenant.id)]), issuedToken(fresh.admin_token)] : null,
    table(
      t('tenants_caption'),
      [
        { head: t('name'), cell: (x: Tenant) => h('a', { href: `#/tenants/${x.id}` }, x.name) },
        { head: t('quota'), cell: (x) => formatNumber(x.mailbox_quota), class: 'right' },
        { head: t('status'), cell: (x) => h('span', { class: x.enabled ? 'badge badge-on' : 'badge badge-off' }, x.enabled ? t('enabled') : t('disabled')) },
        { head: t('created'), cell: (x) => date(x.created_at) },
      ],
      tenants,
      (x) => ({ 'data-tenant': x.name }),
    ),
    form,
  );
}

export async function tenantPage(ctx: Ctx): Promise<Node> {
  const api = ctx.session.api;
  const id = ctx.params[1] ?? '';
  const path = `/tenants/${seg(id)}`;
  const tenant = await api.get<Tenant>(path);
  const message = messageSlot();
  const name = textField(t('name'), { name: 'name', value: tenant.name, required: true });
  const quota = textField(t('quota'), { name: 'mailbox_quota', type: 'number', value: String(tenant.mailbox_quota), min: '0', inputmode: 'numeric', hint: t('quota_hint') });
  const enabled = checkField(t('enabled'), 'enabled', tenant.enabled);
  enabled.el.classList.add('check-aligned');
  // Sending limits: the whole object replaces the tenant's (every part, every field; empty: no limit).
  const lim = tenant.limits;
  const limits = {
    tenant: limitsEditor(t('limits_tenant'), 'limits.tenant', lim?.tenant),
    user_ceiling: limitsEditor(t('limits_user_ceiling'), 'limits.user_ceiling', lim?.user_ceiling),
    user_default: limitsEditor(t('limits_user_default'), 'limits.user_default', lim?.user_default),
    mailbox_ceiling: limitsEditor(t('limits_mailbox_ceiling'), 'limits.mailbox_ceiling', lim?.mailbox_ceiling),
    mailbox_default: limitsEditor(t('limits_mailbox_default'), 'limits.mailbox_default', lim?.mailbox_default),
  };
  const limitsValue = (): TenantLimits => ({
    tenant: limits.tenant.value(),
    user_ceiling: limits.user_ceiling.value(),
    user_default: limits.user_default.value(),
    mailbox_ceiling: limits.mailbox_ceiling.value(),
    mailbox_default: limits.mailbox_default.value(),
  });
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card form',
      onsubmit: (ev) => {
        ev.preventDefault();
        void busy(form, async () => {
          message.show(null);
          try {
            await api.patch<Tenant>(path, {
              name: name.input.value.trim(),
              mailbox_quota: Number(quota.input.value),
              enabled: enabled.input.checked,
              limits: limitsValue(),
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
    h('div', { class: 'grid-3' }, name.el, quota.el, enabled.el),
    h(
      'div',
      { class: 'limits-section', 'data-testid': 'tenant-limits' },
      h('h2', null, t('limits_title')),
      h('p', { class: 'hint' }, t('limits_operator_intro')),
      limits.tenant.el,
      h('div', { class: 'limits-parts' }, limits.user_ceiling.el, limits.user_default.el),
      h('div', { class: 'limits-parts' }, limits.mailbox_ceiling.el, limits.mailbox_default.el),
    ),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('save'))),
  );
  // The operator issues admin tokens of a tenant (user tokens need the tenant's users: the admin does that).
  const [tokens, domains] = await Promise.all([tokensSection(ctx, tenant.id, [], 'h2', ['admin']), tenantDomainsSection(ctx, tenant)]);
  return h(
    'section',
    null,
    pageHead(t('tenant_title', { name: tenant.name })),
    h('p', { class: 'back' }, h('a', { href: '#/tenants' }, `← ${t('back')}`)),
    dl([[t('tenant_id'), h('code', { 'data-testid': 'tenant-id' }, tenant.id)]]),
    message.el,
    form,
    domains,
    tokens,
  );
}

export async function relayPage(ctx: Ctx): Promise<Node> {
  const api = ctx.session.api;
  let relay: Relay | null = null;
  try {
    relay = await api.get<Relay>('/system-relay');
  } catch {
    relay = null;
  }
  const message = messageSlot();
  const kind = selectField(t('relay_kind'), 'kind', [{ value: 'outbox', label: t('relay_outbox') }, { value: 'smtp', label: t('relay_smtp') }], relay?.kind ?? 'smtp');
  const dir = textField(t('relay_dir'), { name: 'dir', value: relay?.kind === 'outbox' ? relay.dir : '' });
  const smtp = relay?.kind === 'smtp' ? relay : null;
  const host = textField(t('smtp_host'), { name: 'host', value: smtp?.host ?? '' });
  const port = textField(t('smtp_port'), { name: 'port', type: 'number', value: String(smtp?.port ?? 587), min: '1', max: '65535', inputmode: 'numeric' });
  const tls = selectField(t('smtp_tls'), 'tls', [{ value: 'starttls', label: t('tls_starttls') }, { value: 'tls', label: t('tls_tls') }, { value: 'none', label: t('tls_none') }], smtp?.tls ?? 'starttls');
  const username = textField(t('relay_username_optional'), { name: 'username', value: smtp?.username ?? '' });
  const password = textField(t('password'), { name: 'password', type: 'password', autocomplete: 'new-password', hint: smtp?.password_set ? t('password_set_hint') : t('relay_password_hint') });
  const outboxPart = h('div', null, dir.el);
  const smtpPart = h('div', { class: 'grid-2' }, host.el, port.el, tls.el, username.el, password.el);
  const sync = (): void => {
    outboxPart.hidden = kind.input.value !== 'outbox';
    smtpPart.hidden = kind.input.value !== 'smtp';
  };
  kind.input.addEventListener('change', sync);
  sync();
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card form',
      onsubmit: (ev) => {
        ev.preventDefault();
        void busy(form, async () => {
          message.show(null);
          const body: Relay =
            kind.input.value === 'outbox'
              ? { kind: 'outbox', dir: dir.input.value.trim() }
              : {
                  kind: 'smtp',
                  host: host.input.value.trim(),
                  port: Number(port.input.value),
                  tls: tls.input.value as TlsName,
                  username: username.input.value.trim() || null,
                  ...(password.input.value ? { password: password.input.value } : {}),
                };
          try {
            await api.put<Relay>('/system-relay', body);
            ctx.flash(t('saved'));
            ctx.refresh();
          } catch (e) {
            markInvalid(form, e);
            message.show(errorBox(e));
          }
        });
      },
    },
    kind.el,
    outboxPart,
    smtpPart,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('save'))),
  );
  return h('section', null, pageHead(t('relay_title'), t('relay_intro')), relay ? null : notice('warn', t('relay_not_set')), message.el, form);
}
