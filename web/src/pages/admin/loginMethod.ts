// The login-method part of the mailbox form: how the mailbox signs in to
// its own SMTP server. Today the API knows one method, a password
// (AUTH PLAIN/LOGIN), written with `PUT .../password` and never read back.
// OAuth 2.0 methods (Microsoft 365 client credentials, refresh token,
// Google service account) follow when the API has them: each becomes one
// more entry of `METHODS` with its own fields, and `value()` answers a
// variant of `LoginMethodInput`.

import { h } from '../../dom';
import { t } from '../../i18n';
import { selectField, textField } from '../../ui';

export type LoginMethodInput = { kind: 'password'; password: string | null };

export interface LoginMethodEditor {
  el: HTMLElement;
  /** What to write after the mailbox is saved (`password: null`: keep the stored one). */
  value(): LoginMethodInput;
}

const METHODS = [{ value: 'password', label: () => t('login_method_password') }] as const;

export function loginMethodEditor(passwordSet: boolean): LoginMethodEditor {
  const method = selectField(
    t('login_method'),
    'login_method',
    METHODS.map((m) => ({ value: m.value, label: m.label() })),
    'password',
  );
  // A single method needs no choice; the select appears once there are more.
  method.el.hidden = METHODS.length < 2;
  const password = textField(t('password'), {
    name: 'password',
    type: 'password',
    autocomplete: 'new-password',
    hint: passwordSet ? t('password_set_hint') : t('password_unset_hint'),
  });
  const el = h('div', { class: 'login-method' }, method.el, password.el);
  // Laid out by the caller's grid: the fields flow into its columns.
  el.classList.add('contents');
  return {
    el,
    value: () => ({ kind: 'password', password: password.input.value === '' ? null : password.input.value }),
  };
}
