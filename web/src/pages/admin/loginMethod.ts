// The login-method part of the mailbox form: how the mailbox signs in to
// its own SMTP server (`smtp.login` of the mailbox body):
//
//   password                   AUTH PLAIN/LOGIN with a stored password
//   oauth2_client_credentials  Microsoft 365: an Entra ID app (directory or token URL, client id, scope)
//   oauth2_refresh_token       Google user consent or another provider (token URL, client id, scope)
//   google_service_account     Google Workspace, domain-wide delegation (scope)
//
// The non-secret fields are prefilled from the loaded mailbox. The secrets
// (password; client secret; refresh token and client secret; the service
// account's JSON key) are write-only: always empty here, written with
// `PUT .../credentials` after the mailbox is saved, never read back;
// `password_set` only tells that the loaded method's secret is stored.
// Each method is one panel; only the chosen one is in the DOM, so field
// names (the API's `field` of a problem) are unique.

import { ApiError, type CredentialsBody, type LoginMethod, type LoginMethodName, type SmtpSettings } from '../../api';
import { h } from '../../dom';
import { type Key, t } from '../../i18n';
import { type Field, selectField, textAreaField, textField } from '../../ui';

export interface LoginMethodValue {
  /** `smtp.login` of the mailbox body. */
  login: LoginMethod;
  /** The body of `PUT .../credentials`, or null: keep the stored secret. */
  credentials: CredentialsBody | null;
}

export interface LoginMethodEditor {
  el: HTMLElement;
  /** Throws an `ApiError`-shaped problem (with `field`) for what the browser can tell is wrong. */
  value(): LoginMethodValue;
}

const METHODS: { value: LoginMethodName; label: Key; hint: Key }[] = [
  { value: 'password', label: 'login_method_password', hint: 'login_method_hint_password' },
  { value: 'oauth2_client_credentials', label: 'login_method_client_credentials', hint: 'login_method_hint_client_credentials' },
  { value: 'oauth2_refresh_token', label: 'login_method_refresh_token', hint: 'login_method_hint_refresh_token' },
  { value: 'google_service_account', label: 'login_method_service_account', hint: 'login_method_hint_service_account' },
];

interface Panel {
  el: HTMLElement;
  login(): LoginMethod;
  secret(): CredentialsBody | null;
}

/** A problem found before anything is sent, shaped like the API's. */
function invalid(field: string, detail: string): ApiError {
  return new ApiError(422, { type: 'validation_failed', title: t('error_title'), status: 422, detail, field });
}

/** Trimmed text, or undefined when empty (the API then uses its default). */
function opt(f: Field<HTMLInputElement>): string | undefined {
  const v = f.input.value.trim();
  return v === '' ? undefined : v;
}

/** The secret typed in, untouched, or undefined when empty. */
function secretOf(f: Field<HTMLInputElement | HTMLTextAreaElement>): string | undefined {
  return f.input.value === '' ? undefined : f.input.value;
}

function secretField(label: string, name: string, hint: string): Field<HTMLInputElement> {
  return textField(label, { name, type: 'password', autocomplete: 'new-password', hint });
}

/** The directory of a Microsoft Entra v2.0 token URL (as the API fills it in from `directory`), or null. */
function entraDirectory(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' || u.hostname !== 'login.microsoftonline.com' || u.port || u.search || u.hash) return null;
    return /^\/([A-Za-z0-9.-]+)\/oauth2\/v2\.0\/token$/.exec(u.pathname)?.[1] ?? null;
  } catch {
    return null;
  }
}

function passwordPanel(stored: boolean): Panel {
  const password = secretField(t('password'), 'password', stored ? t('password_set_hint') : t('password_unset_hint'));
  return {
    el: h('div', { class: 'contents' }, password.el),
    login: () => ({ method: 'password' }),
    secret: () => {
      const p = secretOf(password);
      return p === undefined ? null : { password: p };
    },
  };
}

function clientCredentialsPanel(init: Extract<LoginMethod, { method: 'oauth2_client_credentials' }> | null, stored: boolean): Panel {
  const directoryValue = init ? (init.directory ?? entraDirectory(init.token_url)) : null;
  const endpoint = selectField(
    t('token_endpoint'),
    'token_endpoint',
    [
      { value: 'directory', label: t('token_endpoint_directory') },
      { value: 'url', label: t('token_endpoint_url') },
    ],
    !init || directoryValue !== null ? 'directory' : 'url',
  );
  const directory = textField(t('entra_directory'), { name: 'smtp.login.directory', value: directoryValue ?? '', hint: t('entra_directory_hint') });
  const tokenUrl = textField(t('token_url'), { name: 'smtp.login.token_url', inputmode: 'url', value: directoryValue === null ? (init?.token_url ?? '') : '' });
  const clientId = textField(t('client_id'), { name: 'smtp.login.client_id', value: init?.client_id ?? '' });
  const scope = textField(t('scope'), { name: 'smtp.login.scope', value: init?.scope ?? '', hint: t('scope_microsoft_hint') });
  const clientSecret = secretField(t('client_secret'), 'client_secret', stored ? t('secret_set_hint') : t('secret_unset_hint'));
  const syncEndpoint = (): void => {
    const byDirectory = endpoint.input.value === 'directory';
    directory.el.hidden = !byDirectory;
    tokenUrl.el.hidden = byDirectory;
  };
  endpoint.input.addEventListener('change', syncEndpoint);
  syncEndpoint();
  return {
    el: h('div', { class: 'contents' }, endpoint.el, directory.el, tokenUrl.el, clientId.el, scope.el, clientSecret.el),
    login: () => {
      const byDirectory = endpoint.input.value === 'directory';
      const where = byDirectory ? { directory: directory.input.value.trim() } : { token_url: tokenUrl.input.value.trim() };
      const s = opt(scope);
      return { method: 'oauth2_client_credentials', ...where, client_id: clientId.input.value.trim(), ...(s ? { scope: s } : {}) };
    },
    secret: () => {
      const c = secretOf(clientSecret);
      return c === undefined ? null : { client_secret: c };
    },
  };
}

function refreshTokenPanel(init: Extract<LoginMethod, { method: 'oauth2_refresh_token' }> | null, stored: boolean): Panel {
  const tokenUrl = textField(t('token_url'), { name: 'smtp.login.token_url', inputmode: 'url', value: init?.token_url ?? '', hint: t('token_url_google_hint') });
  const clientId = textField(t('client_id'), { name: 'smtp.login.client_id', value: init?.client_id ?? '' });
  const scope = textField(t('scope'), { name: 'smtp.login.scope', value: init?.scope ?? '', hint: t('scope_refresh_hint') });
  const refreshToken = secretField(t('refresh_token'), 'refresh_token', stored ? t('secrets_set_hint') : t('secret_unset_hint'));
  const clientSecret = secretField(t('client_secret_optional'), 'client_secret', stored ? t('secret_set_hint') : t('secret_unset_hint'));
  return {
    el: h('div', { class: 'contents' }, tokenUrl.el, clientId.el, scope.el, refreshToken.el, clientSecret.el),
    login: () => {
      const u = opt(tokenUrl);
      return { method: 'oauth2_refresh_token', ...(u ? { token_url: u } : {}), client_id: clientId.input.value.trim(), scope: opt(scope) ?? null };
    },
    secret: () => {
      const r = secretOf(refreshToken);
      const c = secretOf(clientSecret);
      if (r === undefined && c === undefined) return null;
      // The two are stored together: a new client secret needs the refresh token again (the API says so with `field`).
      return { ...(r !== undefined ? { refresh_token: r } : {}), ...(c !== undefined ? { client_secret: c } : {}) };
    },
  };
}

function serviceAccountPanel(init: Extract<LoginMethod, { method: 'google_service_account' }> | null, stored: boolean): Panel {
  const scope = textField(t('scope'), { name: 'smtp.login.scope', value: init?.scope ?? '', hint: t('scope_google_hint') });
  const key = textAreaField(t('service_account_key'), {
    name: 'service_account_key',
    rows: 5,
    secret: true,
    hint: stored ? t('secret_set_hint') : t('secret_unset_hint'),
  });
  key.el.classList.add('field-wide');
  const fileId = `${key.input.id}-file`;
  const file = h('input', { id: fileId, type: 'file', accept: 'application/json,.json' });
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (!f) return;
    if (f.size > 65536) {
      key.input.value = '';
      key.input.setAttribute('aria-invalid', 'true');
      return;
    }
    void f.text().then((text) => {
      key.input.value = text;
      key.input.removeAttribute('aria-invalid');
    });
  });
  const fileField = h('div', { class: 'field' }, h('label', { for: fileId }, t('service_account_key_file')), file);
  return {
    el: h('div', { class: 'contents' }, scope.el, fileField, key.el),
    login: () => {
      const s = opt(scope);
      return { method: 'google_service_account', ...(s ? { scope: s } : {}) };
    },
    secret: () => {
      const text = key.input.value.trim();
      if (text === '') return null;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('service_account_key', t('service_account_key_invalid'));
      return { service_account_key: text };
    },
  };
}

/** The editor for an authenticated mailbox's login, prefilled from its loaded SMTP settings (if any). */
export function loginMethodEditor(smtp: SmtpSettings | null | undefined): LoginMethodEditor {
  const loaded: LoginMethod = smtp?.login ?? { method: 'password' };
  const stored = smtp?.password_set ?? false;
  const method = selectField(
    t('login_method'),
    'smtp.login.method',
    METHODS.map((m) => ({ value: m.value, label: t(m.label) })),
    loaded.method,
    t('login_method_hint_password'),
  );
  method.el.classList.add('field-wide');
  const hint = method.el.querySelector('.hint');

  // One panel per method, built once (switching back keeps what was typed);
  // the loaded method's panel is prefilled and knows whether its secret is stored.
  const panels: Record<LoginMethodName, Panel> = {
    password: passwordPanel(loaded.method === 'password' && stored),
    oauth2_client_credentials: clientCredentialsPanel(loaded.method === 'oauth2_client_credentials' ? loaded : null, loaded.method === 'oauth2_client_credentials' && stored),
    oauth2_refresh_token: refreshTokenPanel(loaded.method === 'oauth2_refresh_token' ? loaded : null, loaded.method === 'oauth2_refresh_token' && stored),
    google_service_account: serviceAccountPanel(loaded.method === 'google_service_account' ? loaded : null, loaded.method === 'google_service_account' && stored),
  };
  const changed = h('p', { class: 'warn-text field-wide', role: 'status', 'data-testid': 'login-method-changed' });
  const slot = h('div', { class: 'contents' });
  const current = (): LoginMethodName => {
    const v = method.input.value as LoginMethodName;
    return v in panels ? v : 'password';
  };
  const sync = (): void => {
    const m = current();
    if (hint) hint.textContent = t(METHODS.find((x) => x.value === m)?.hint ?? 'login_method_hint_password');
    slot.replaceChildren(panels[m].el);
    const away = stored && m !== loaded.method;
    changed.hidden = !away;
    changed.replaceChildren(away ? t('login_method_changed') : '');
  };
  method.input.addEventListener('change', sync);
  sync();

  // Laid out by the caller's grid: the fields flow into its columns.
  const el = h('div', { class: 'login-method contents', 'data-testid': 'login-method' }, method.el, changed, slot);
  return {
    el,
    value: () => {
      const panel = panels[current()];
      return { login: panel.login(), credentials: panel.secret() };
    },
  };
}
