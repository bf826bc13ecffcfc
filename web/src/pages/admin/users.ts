// Admin: users (companies, groups, enable/disable) and a user's page with
// its sending limits, dropdowns and app passwords.

import { type Api, type Company, type Credential, type CredentialIssued, type Dropdowns, type Group, seg, type Tenant, type User } from '../../api';
import { h } from '../../dom';
import { t } from '../../i18n';
import {
  busy,
  button,
  checkField,
  checklist,
  type Ctx,
  errorBox,
  markInvalid,
  messageSlot,
  pageHead,
  table,
  textField,
} from '../../ui';
import { credentialsSection } from '../appPasswords';
import { inheritedLimits, limitsEditor } from '../limits';

export function adminOf(ctx: Ctx): { api: Api; tenant: Tenant; base: string } {
  if (ctx.session.role !== 'admin') throw new Error('admin page');
  return { api: ctx.session.api, tenant: ctx.session.tenant, base: `/tenants/${seg(ctx.session.tenant.id)}` };
}

function names(ids: string[], map: Map<string, string>): string {
  return ids.map((id) => map.get(id) ?? id).sort((a, b) => a.localeCompare(b)).join(', ');
}

export async function usersPage(ctx: Ctx): Promise<Node> {
  const { api, base } = adminOf(ctx);
  const [users, companies, groups] = await Promise.all([
    api.all<User>(`${base}/users`),
    api.all<Company>(`${base}/companies`),
    api.all<Group>(`${base}/groups`),
  ]);
  const companyName = new Map(companies.map((c) => [c.id, c.name]));
  const groupName = new Map(groups.map((g) => [g.id, g.name]));
  const message = messageSlot();

  const login = textField(t('login'), { name: 'login', required: true, autocomplete: 'off' });
  const name = textField(t('name'), { name: 'name', required: true });
  const companyPicker = checklist(t('companies'), 'companies', companies.map((c) => ({ id: c.id, label: c.name })), companies.length === 1 ? [companies[0]?.id ?? ''] : []);
  const groupPicker = checklist(t('groups'), 'groups', groups.map((g) => ({ id: g.id, label: g.name })), []);
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card form',
      onsubmit: (ev) => {
        ev.preventDefault();
        void busy(form, async () => {
          message.show(null);
          try {
            await api.post<User>(`${base}/users`, {
              login: login.input.value.trim(),
              name: name.input.value.trim(),
              companies: companyPicker.selected(),
              groups: groupPicker.selected(),
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
    h('h2', null, t('new_user')),
    h('div', { class: 'grid-2' }, login.el, name.el),
    h('div', { class: 'grid-2' }, companyPicker.el, groupPicker.el),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('create'))),
  );

  const toggle = async (u: User): Promise<void> => {
    try {
      await api.patch<User>(`${base}/users/${seg(u.id)}`, { enabled: !u.enabled });
      ctx.refresh();
    } catch (e) {
      message.show(errorBox(e));
    }
  };

  return h(
    'section',
    null,
    pageHead(t('users_title'), t('users_intro')),
    message.el,
    table(
      t('users_caption'),
      [
        { head: t('login'), cell: (u: User) => h('a', { href: `#/users/${u.id}` }, u.login) },
        { head: t('name'), cell: (u) => u.name },
        { head: t('companies'), cell: (u) => names(u.companies, companyName) },
        { head: t('groups'), cell: (u) => names(u.groups, groupName) },
        { head: t('status'), cell: (u) => h('span', { class: u.enabled ? 'badge badge-on' : 'badge badge-off' }, u.enabled ? t('enabled') : t('disabled')) },
        {
          head: h('span', { class: 'sr-only' }, t('actions')),
          cell: (u) =>
            button(u.enabled ? t('disable') : t('enable'), () => void toggle(u), u.enabled ? 'secondary' : 'primary', {
              'aria-label': `${u.enabled ? t('disable') : t('enable')}: ${u.login}`,
            }),
          class: 'right',
        },
      ],
      users,
      (u) => ({ 'data-login': u.login }),
    ),
    form,
  );
}

export async function userPage(ctx: Ctx): Promise<Node> {
  const { api, base } = adminOf(ctx);
  const id = ctx.params[1] ?? '';
  const path = `${base}/users/${seg(id)}`;
  const [tenant, user, companies, groups, dropdowns] = await Promise.all([
    api.get<Tenant>(base),
    api.get<User>(path),
    api.all<Company>(`${base}/companies`),
    api.all<Group>(`${base}/groups`),
    api.get<Dropdowns>(`${path}/mailboxes`),
  ]);
  const message = messageSlot();
  const name = textField(t('name'), { name: 'name', value: user.name, required: true });
  const enabled = checkField(t('enabled'), 'enabled', user.enabled, t('user_enabled_hint'));
  enabled.el.classList.add('check-aligned');
  const companyPicker = checklist(t('companies'), 'companies', companies.map((c) => ({ id: c.id, label: c.name })), user.companies);
  const groupPicker = checklist(t('groups'), 'groups', groups.map((g) => ({ id: g.id, label: g.name })), user.groups);
  const limits = limitsEditor(t('limits_title'), 'limits', user.limits, {
    hint: t('limits_own_hint'),
    inherited: inheritedLimits(tenant.limits?.user_default, tenant.limits?.user_ceiling),
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
            await api.patch<User>(
              path,
              {
                name: name.input.value.trim(),
                enabled: enabled.input.checked,
                companies: companyPicker.selected(),
                groups: groupPicker.selected(),
                limits: limits.value(),
              },
              user.version,
            );
            ctx.flash(t('saved'));
            ctx.refresh();
          } catch (e) {
            markInvalid(form, e);
            message.show(errorBox(e));
          }
        });
      },
    },
    h('div', { class: 'grid-2' }, name.el, enabled.el),
    h('div', { class: 'grid-2' }, companyPicker.el, groupPicker.el),
    limits.el,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('save'))),
  );
  const list = (items: { address: string; display_name: string }[]): Node =>
    items.length ? h('ul', { class: 'plain' }, items.map((m) => h('li', null, h('code', null, m.address), ' ', h('span', { class: 'muted' }, m.display_name)))) : h('p', { class: 'empty' }, t('none_yet'));
  const credentials = await credentialsSection(
    ctx,
    {
      list: () => api.get<Credential[]>(`${path}/smtp-credentials`),
      create: (n) => api.post<CredentialIssued>(`${path}/smtp-credentials`, { name: n }),
      revoke: (c) => api.del(`${path}/smtp-credentials/${seg(c)}`),
    },
    'h2',
  );
  return h(
    'section',
    null,
    pageHead(t('user_title', { login: user.login })),
    h('p', { class: 'back' }, h('a', { href: '#/users' }, `← ${t('back')}`)),
    message.el,
    form,
    h('div', { class: 'grid-2' }, h('div', { class: 'card' }, h('h2', null, t('user_may_send_as')), list(dropdowns.from)), h('div', { class: 'card' }, h('h2', null, t('user_may_reply_to')), list(dropdowns.reply_to))),
    credentials,
  );
}
