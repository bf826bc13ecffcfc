// API tokens: an admin's tokens of its tenant, the operator's tokens of a
// tenant, and operator tokens. A new token is shown once, with a sign-in
// link for this app.

import { type RoleName, seg, type Token, type TokenIssued, type User } from '../api';
import { h } from '../dom';
import { t } from '../i18n';
import { busy, button, type Ctx, date, errorBox, markInvalid, messageSlot, pageHead, secretOnce, selectField, table, textField } from '../ui';

/** `https://host/#token=...` (with the tenant for admin tokens): signs in to this app. */
export function signInLink(token: string, tenant?: string | null): string {
  const params = new URLSearchParams({ token });
  if (tenant) params.set('tenant', tenant);
  return `${location.origin}${location.pathname}#${params.toString()}`;
}

export function issuedToken(tk: TokenIssued, heading: 'h2' | 'h3' = 'h2'): HTMLElement {
  return h(
    'div',
    { class: 'card issued', role: 'status', 'data-testid': 'issued-token' },
    h(heading, null, `${t('token_issued')}: ${tk.name}`),
    h('p', { class: 'warn-text' }, t('shown_once')),
    secretOnce(t('signin_token'), tk.token, 'token'),
    tk.role === 'operator' ? null : secretOnce(t('signin_link'), signInLink(tk.token, tk.role === 'admin' ? tk.tenant_id : null), 'signin-link'),
  );
}

let pending: TokenIssued | null = null;

/**
 * Tokens of one tenant (`tenantId`) for admins and the operator, or the
 * operator's own tokens (`tenantId` null).
 */
export async function tokensSection(
  ctx: Ctx,
  tenantId: string | null,
  users: User[],
  headingLevel: 'h1' | 'h2',
  roles: ('user' | 'admin')[] = ['user', 'admin'],
): Promise<HTMLElement> {
  const api = ctx.session.api;
  const base = tenantId ? `/tenants/${seg(tenantId)}/tokens` : '/operator-tokens';
  const tokens = await api.all<Token>(base);
  const login = new Map(users.map((u) => [u.id, u.login]));
  const message = messageSlot();
  const roleNames: Record<RoleName, string> = { admin: t('role_admin'), user: t('role_user'), operator: t('role_operator') };

  const name = textField(t('name'), { name: 'name', required: true });
  const role = selectField(t('role'), 'role', roles.map((r) => ({ value: r, label: roleNames[r] })), roles[0] ?? 'user');
  role.el.hidden = roles.length < 2;
  const user = selectField(t('user'), 'user_id', [{ value: '', label: t('choose_user') }, ...users.filter((u) => u.enabled).map((u) => ({ value: u.id, label: `${u.name} (${u.login})` }))], '');
  const sync = (): void => {
    user.el.hidden = role.input.value !== 'user';
  };
  role.input.addEventListener('change', sync);
  sync();
  const issued = h('div');
  if (pending) {
    issued.append(issuedToken(pending, headingLevel === 'h1' ? 'h2' : 'h3'));
    pending = null;
  }
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card form',
      onsubmit: (ev) => {
        ev.preventDefault();
        void busy(form, async () => {
          message.show(null);
          try {
            const body = tenantId
              ? { name: name.input.value.trim(), role: role.input.value, ...(role.input.value === 'user' ? { user_id: user.input.value || null } : {}) }
              : { name: name.input.value.trim() };
            pending = await api.post<TokenIssued>(base, body);
            ctx.refresh();
          } catch (e) {
            markInvalid(form, e);
            message.show(errorBox(e));
          }
        });
      },
    },
    h(headingLevel === 'h1' ? 'h2' : 'h3', null, t('new_token')),
    h('div', { class: 'grid-3' }, name.el, tenantId ? role.el : null, tenantId ? user.el : null),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('create'))),
  );
  const revoke = async (tk: Token): Promise<void> => {
    if (!confirm(t('confirm_revoke', { name: tk.name }))) return;
    try {
      await api.del(`${base}/${seg(tk.id)}`);
      ctx.refresh();
    } catch (e) {
      message.show(errorBox(e));
    }
  };
  const head =
    headingLevel === 'h1'
      ? tenantId
        ? pageHead(t('tokens_title'), t('tokens_intro'))
        : pageHead(t('operator_tokens_title'), t('operator_tokens_intro'))
      : h('h2', null, t('tokens_title'));
  return h(
    'section',
    null,
    head,
    message.el,
    issued,
    table(
      t('tokens_caption'),
      [
        { head: t('name'), cell: (tk: Token) => tk.name },
        { head: t('role'), cell: (tk) => roleNames[tk.role] },
        { head: t('user'), cell: (tk) => (tk.user_id ? (login.get(tk.user_id) ?? tk.user_id) : '—') },
        { head: t('created'), cell: (tk) => date(tk.created_at) },
        {
          head: h('span', { class: 'sr-only' }, t('actions')),
          cell: (tk) => button(t('revoke'), () => void revoke(tk), 'danger', { 'aria-label': `${t('revoke')}: ${tk.name}` }),
          class: 'right',
        },
      ],
      tokens,
    ),
    form,
  );
}

export async function adminTokensPage(ctx: Ctx): Promise<Node> {
  if (ctx.session.role !== 'admin') throw new Error('admin page');
  const tenant = ctx.session.tenant.id;
  const users = await ctx.session.api.all<User>(`/tenants/${seg(tenant)}/users`);
  return tokensSection(ctx, tenant, users, 'h1');
}

export async function operatorTokensPage(ctx: Ctx): Promise<Node> {
  return tokensSection(ctx, null, [], 'h1');
}
