// The sign-in form: paste an API token (and, for an admin token, the tenant id).

import { h } from '../dom';
import { t } from '../i18n';
import { SignInError } from '../session';
import { errorBox, notice, pageHead, textField } from '../ui';

export function signInPage(onSubmit: (token: string, tenant: string) => Promise<void>, error: unknown, prefill = ''): HTMLElement {
  const token = textField(t('signin_token'), { name: 'token', type: 'password', required: true, autocomplete: 'off', value: prefill });
  const tenant = textField(t('signin_tenant'), { name: 'tenant', autocomplete: 'off', hint: t('signin_tenant_hint') });
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'card form signin',
      onsubmit: (ev) => {
        ev.preventDefault();
        void onSubmit(token.input.value.trim(), tenant.input.value.trim());
      },
    },
    token.el,
    tenant.el,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('signin_button'))),
  );
  let problem: Node | null = null;
  if (error instanceof SignInError) {
    const text =
      error.reason === 'invalid_token' ? t('signin_invalid') : error.reason === 'tenant_needed' ? t('signin_tenant_needed') : error.reason === 'tenant_mismatch' ? t('signin_tenant_mismatch') : error.message;
    problem = h('div', { class: 'notice notice-error', role: 'alert', 'data-reason': error.reason }, text);
    if (error.reason === 'tenant_needed') queueMicrotask(() => tenant.input.focus());
  } else if (error) {
    problem = errorBox(error);
  }
  return h('section', { class: 'narrow' }, pageHead(t('signin_title')), notice('info', t('signin_intro')), problem, form);
}
