// Admin: groups, their members; companies.

import { type Company, type Group, seg, type User } from '../../api';
import { h } from '../../dom';
import { t } from '../../i18n';
import { busy, button, type Ctx, date, errorBox, linkButton, markInvalid, messageSlot, pageHead, selectField, table, textField } from '../../ui';
import { adminOf } from './users';

/** A one-field form (name) that posts and refreshes. */
function nameForm(ctx: Ctx, heading: string, submitLabel: string, initial: string, send: (name: string) => Promise<unknown>, message: ReturnType<typeof messageSlot>): HTMLFormElement {
  const name = textField(t('name'), { name: 'name', value: initial, required: true });
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card inline-form',
      onsubmit: (ev) => {
        ev.preventDefault();
        void busy(form, async () => {
          message.show(null);
          try {
            await send(name.input.value.trim());
            ctx.flash(t('saved'));
            ctx.refresh();
          } catch (e) {
            markInvalid(form, e);
            message.show(errorBox(e));
          }
        });
      },
    },
    h('h2', null, heading),
    h('div', { class: 'row' }, name.el, h('button', { type: 'submit', class: 'btn btn-primary' }, submitLabel)),
  );
  return form;
}

export async function groupsPage(ctx: Ctx): Promise<Node> {
  const { api, base } = adminOf(ctx);
  const [groups, users] = await Promise.all([api.all<Group>(`${base}/groups`), api.all<User>(`${base}/users`)]);
  const count = (g: Group): number => users.filter((u) => u.groups.includes(g.id)).length;
  const message = messageSlot();
  return h(
    'section',
    null,
    pageHead(t('groups_title'), t('groups_intro')),
    message.el,
    table(
      t('groups_caption'),
      [
        { head: t('name'), cell: (g: Group) => h('a', { href: `#/groups/${g.id}` }, g.name) },
        { head: t('member_count'), cell: (g) => String(count(g)), class: 'right' },
        { head: t('created'), cell: (g) => date(g.created_at) },
      ],
      groups,
      (g) => ({ 'data-group': g.name }),
    ),
    nameForm(ctx, t('new_group'), t('create'), '', (name) => api.post(`${base}/groups`, { name }), message),
  );
}

export async function groupPage(ctx: Ctx): Promise<Node> {
  const { api, base } = adminOf(ctx);
  const id = ctx.params[1] ?? '';
  const path = `${base}/groups/${seg(id)}`;
  const [group, members, users] = await Promise.all([api.get<Group>(path), api.get<User[]>(`${path}/members`), api.all<User>(`${base}/users`)]);
  const message = messageSlot();
  const memberIds = new Set(members.map((u) => u.id));
  const candidates = users.filter((u) => !memberIds.has(u.id));
  const pick = selectField(t('add_member'), 'user_id', [{ value: '', label: t('choose_user') }, ...candidates.map((u) => ({ value: u.id, label: `${u.name} (${u.login})` }))], '');
  const addForm: HTMLFormElement = h(
    'form',
    {
      class: 'card inline-form',
      onsubmit: (ev) => {
        ev.preventDefault();
        if (!pick.input.value) return;
        void busy(addForm, async () => {
          try {
            await api.put(`${path}/members/${seg(pick.input.value)}`);
            ctx.flash(t('saved'));
            ctx.refresh();
          } catch (e) {
            message.show(errorBox(e));
          }
        });
      },
    },
    h('div', { class: 'row' }, pick.el, h('button', { type: 'submit', class: 'btn btn-primary' }, t('add_member'))),
  );
  const remove = async (u: User): Promise<void> => {
    try {
      await api.del(`${path}/members/${seg(u.id)}`);
      ctx.refresh();
    } catch (e) {
      message.show(errorBox(e));
    }
  };
  const del = async (): Promise<void> => {
    if (!confirm(t('confirm_delete', { name: group.name }))) return;
    try {
      await api.del(path);
      ctx.flash(t('deleted'));
      ctx.go('/groups');
    } catch (e) {
      message.show(errorBox(e));
    }
  };
  return h(
    'section',
    null,
    pageHead(t('group_title', { name: group.name }), undefined, button(t('delete'), () => void del(), 'danger')),
    h('p', { class: 'back' }, h('a', { href: '#/groups' }, `← ${t('back')}`)),
    message.el,
    h('h2', null, t('members')),
    table(
      t('members_caption'),
      [
        { head: t('login'), cell: (u: User) => h('a', { href: `#/users/${u.id}` }, u.login) },
        { head: t('name'), cell: (u) => u.name },
        {
          head: h('span', { class: 'sr-only' }, t('actions')),
          cell: (u) => button(t('remove'), () => void remove(u), 'secondary', { 'aria-label': `${t('remove')}: ${u.login}` }),
          class: 'right',
        },
      ],
      members,
      (u) => ({ 'data-login': u.login }),
    ),
    addForm,
    nameForm(ctx, t('rename'), t('save'), group.name, (name) => api.patch(path, { name }, group.version), message),
  );
}

export async function companiesPage(ctx: Ctx): Promise<Node> {
  const { api, base } = adminOf(ctx);
  const companies = await api.all<Company>(`${base}/companies`);
  const message = messageSlot();
  const editing = ctx.params[1];
  const current = companies.find((c) => c.id === editing);
  return h(
    'section',
    null,
    pageHead(t('companies_title'), t('companies_intro')),
    message.el,
    table(
      t('companies_caption'),
      [
        { head: t('name'), cell: (c: Company) => c.name },
        { head: t('created'), cell: (c) => date(c.created_at) },
        {
          head: h('span', { class: 'sr-only' }, t('actions')),
          cell: (c) => h('a', { class: 'btn btn-secondary', href: `#/companies/${c.id}`, 'aria-label': `${t('rename')}: ${c.name}` }, t('rename')),
          class: 'right',
        },
      ],
      companies,
    ),
    current
      ? [
          nameForm(ctx, `${t('rename')}: ${current.name}`, t('save'), current.name, async (name) => {
            await api.patch(`${base}/companies/${seg(current.id)}`, { name });
            ctx.go('/companies');
          }, message),
          h('p', null, linkButton(t('cancel'), '#/companies')),
        ]
      : nameForm(ctx, t('new_company'), t('create'), '', (name) => api.post(`${base}/companies`, { name }), message),
  );
}
