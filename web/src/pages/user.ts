// User: my From and Reply-To lists (GET /v1/me/mailboxes) and my app
// passwords (GET/POST/DELETE /v1/me/smtp-credentials).

import { type Credential, type CredentialIssued, type Dropdowns, type MailboxChoice, seg } from '../api';
import { h } from '../dom';
import { t } from '../i18n';
import { type Ctx, pageHead, table } from '../ui';
import { credentialsSection } from './appPasswords';

export async function myMailboxesPage(ctx: Ctx): Promise<Node> {
  if (ctx.session.role !== 'user') throw new Error('user page');
  const { me, api } = ctx.session;
  const d = await api.get<Dropdowns>('/me/mailboxes');
  const list = (caption: string, items: MailboxChoice[], testId: string): Node =>
    h(
      'div',
      { 'data-testid': testId },
      table(
        caption,
        [
          { head: t('address'), cell: (m: MailboxChoice) => h('code', null, m.address) },
          { head: t('display_name'), cell: (m) => m.display_name },
        ],
        items,
        (m) => ({ 'data-address': m.address }),
      ),
    );
  return h(
    'section',
    null,
    pageHead(t('me_title'), t('me_intro')),
    h('p', { class: 'muted' }, t('me_signed_in', { name: me.user.name, login: me.user.login, tenant: me.tenant.name })),
    h(
      'div',
      { class: 'grid-2' },
      h('div', { class: 'card' }, h('h2', null, t('me_from')), list(t('me_from_caption'), d.from, 'from-list')),
      h('div', { class: 'card' }, h('h2', null, t('me_reply_to')), list(t('me_reply_caption'), d.reply_to, 'reply-list')),
    ),
  );
}

export async function myAppPasswordsPage(ctx: Ctx): Promise<Node> {
  const api = ctx.session.api;
  return credentialsSection(
    ctx,
    {
      list: () => api.get<Credential[]>('/me/smtp-credentials'),
      create: (name) => api.post<CredentialIssued>('/me/smtp-credentials', { name }),
      revoke: (id) => api.del(`/me/smtp-credentials/${seg(id)}`),
    },
    'h1',
  );
}
