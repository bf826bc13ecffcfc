// App passwords (SMTP credentials): the user's own page and the same
// section on an admin's user page. A new password is shown once, with the
// settings to paste into a mail program.

import type { Credential, CredentialIssued } from '../api';
import { h } from '../dom';
import { t } from '../i18n';
import { busy, button, type Ctx, date, dl, errorBox, markInvalid, messageSlot, pageHead, secretOnce, type SmtpClientConfig, table, textField } from '../ui';

export interface CredentialPaths {
  list(): Promise<Credential[]>;
  create(name: string): Promise<CredentialIssued>;
  revoke(id: string): Promise<void>;
}

/** Settings for a mail program: host, ports with STARTTLS/TLS, username. */
export function clientSettings(smtp: SmtpClientConfig | null, username: string, heading: 'h3' | 'h4' = 'h3'): HTMLElement {
  const rows: [string, string | Node][] = [];
  if (smtp) {
    rows.push([t('outgoing_server'), h('code', { 'data-testid': 'smtp-host' }, smtp.host)]);
    const ports: Node[] = [];
    if (smtp.starttls_port) ports.push(h('li', { 'data-testid': 'smtp-starttls-port', 'data-port': String(smtp.starttls_port) }, t('port_starttls', { port: smtp.starttls_port })));
    if (smtp.tls_port) ports.push(h('li', { 'data-testid': 'smtp-tls-port', 'data-port': String(smtp.tls_port) }, t('port_tls', { port: smtp.tls_port })));
    rows.push([`${t('smtp_port')} / ${t('security')}`, h('ul', { class: 'plain' }, ports)]);
  }
  rows.push([t('username'), h('code', { 'data-testid': 'smtp-username' }, username)]);
  return h('div', { class: 'client-settings' }, h(heading, null, t('client_settings')), smtp ? null : h('p', null, t('smtp_unknown')), dl(rows));
}

export async function credentialsSection(ctx: Ctx, paths: CredentialPaths, headingLevel: 'h1' | 'h2'): Promise<HTMLElement> {
  const list = await paths.list();
  const sub = headingLevel === 'h1' ? 'h2' : 'h3';
  const message = messageSlot();
  const issued = h('div', { 'data-testid': 'issued' });
  const name = textField(t('name'), { name: 'name', required: true, placeholder: t('app_password_name_placeholder') });
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card inline-form',
      onsubmit: (ev) => {
        ev.preventDefault();
        void busy(form, async () => {
          message.show(null);
          try {
            const c = await paths.create(name.input.value.trim());
            name.input.value = '';
            // The page re-renders; the one-time password goes into the new page.
            pending = c;
            ctx.refresh();
          } catch (e) {
            markInvalid(form, e);
            message.show(errorBox(e));
          }
        });
      },
    },
    h(sub, null, t('new_app_password')),
    h('div', { class: 'row' }, name.el, h('button', { type: 'submit', class: 'btn btn-primary' }, t('create'))),
  );
  if (pending) {
    const c = pending;
    pending = null;
    issued.append(
      h(
        'div',
        { class: 'card issued', role: 'status' },
        h(sub, null, t('app_password_created', { name: c.name })),
        h('p', { class: 'warn-text' }, t('shown_once')),
        secretOnce(t('password'), c.password, 'app-password'),
        clientSettings(ctx.smtp, c.username, sub === 'h2' ? 'h3' : 'h4'),
      ),
    );
  }
  const rows = table(
    t('app_passwords_caption'),
    [
      { head: t('name'), cell: (c: Credential) => c.name },
      { head: t('created'), cell: (c) => date(c.created_at) },
      {
        head: h('span', { class: 'sr-only' }, t('actions')),
        cell: (c) =>
          button(t('revoke'), async () => {
            if (!confirm(t('confirm_revoke', { name: c.name }))) return;
            try {
              await paths.revoke(c.id);
              ctx.refresh();
            } catch (e) {
              message.show(errorBox(e));
            }
          }, 'danger', { 'aria-label': `${t('revoke')}: ${c.name}` }),
        class: 'right',
      },
    ],
    list,
  );
  const head = headingLevel === 'h1' ? pageHead(t('app_passwords_title'), t('app_passwords_intro')) : h('h2', null, t('app_passwords_title'));
  return h('section', null, head, message.el, issued, form, rows);
}

/** The password just issued survives the re-render that lists it (in memory only). */
let pending: CredentialIssued | null = null;
