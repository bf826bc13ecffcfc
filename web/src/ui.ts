// Shared pieces of the pages: the page context, headings, notices,
// tables, form fields, error display and one-time secrets.

import { ApiError, NetworkError } from './api';
import { type Child, h, type Props, uid } from './dom';
import { formatDate, type Key, t } from './i18n';
import type { Session } from './session';

/** The SMTP proxy as mail programs see it (from /config.json, if the deployment has one). */
export interface SmtpClientConfig {
  host: string;
  starttls_port?: number;
  tls_port?: number;
}

export interface Ctx {
  session: Session;
  smtp: SmtpClientConfig | null;
  /** The route's path segments after `#/`. */
  params: string[];
  /** Goes to `#/path`. */
  go(path: string): void;
  /** Re-renders the current page. */
  refresh(): void;
  /** A message shown on the next rendered page (a success unless `kind` says otherwise). */
  flash(text: string, kind?: 'ok' | 'warn'): void;
}

export type Page = (ctx: Ctx) => Promise<Node>;

export function pageHead(title: string, intro?: string, ...actions: Child[]): HTMLElement {
  return h(
    'div',
    { class: 'page-head' },
    h('div', null, h('h1', { tabindex: '-1' }, title), intro ? h('p', { class: 'intro' }, intro) : null),
    actions.length ? h('div', { class: 'actions' }, actions) : null,
  );
}

export function notice(kind: 'info' | 'ok' | 'warn', text: Child): HTMLElement {
  return h('div', { class: `notice notice-${kind}`, role: 'status' }, text);
}

/** An error as the user should read it: the API's problem detail. */
export function errorBox(e: unknown, title?: string): HTMLElement {
  if (e instanceof ApiError && e.problem.type === 'precondition_failed') {
    return h(
      'div',
      { class: 'notice notice-error', role: 'alert', 'data-problem-type': e.problem.type },
      h('strong', null, t('changed_meanwhile_title')),
      h('p', null, t('changed_meanwhile')),
    );
  }
  if (e instanceof ApiError) {
    const p = e.problem;
    return h(
      'div',
      { class: 'notice notice-error', role: 'alert', 'data-problem-type': p.type },
      h('strong', null, title ?? p.title ?? t('error_title')),
      p.detail ? h('p', null, p.detail) : null,
      p.request_id ? h('p', { class: 'muted' }, t('error_request_id', { id: p.request_id })) : null,
    );
  }
  const text = e instanceof NetworkError ? t('error_network') : String(e instanceof Error ? e.message : e);
  return h('div', { class: 'notice notice-error', role: 'alert' }, h('strong', null, t('error_title')), h('p', null, text));
}

/** A slot for an error or a result of an action, announced to screen readers. */
export function messageSlot(): { el: HTMLElement; show(node: Node | null): void } {
  const el = h('div', { class: 'message-slot' });
  return {
    el,
    show(node) {
      el.replaceChildren();
      if (node) {
        el.appendChild(node);
        el.scrollIntoView({ block: 'nearest' });
      }
    },
  };
}

export function yesNo(v: boolean): HTMLElement {
  return h(
    'span',
    { class: v ? 'flag flag-on' : 'flag flag-off' },
    h('span', { 'aria-hidden': 'true' }, v ? '✓' : '–'),
    h('span', { class: 'sr-only' }, v ? t('yes') : t('no')),
  );
}

export function date(iso: string): HTMLElement {
  return h('time', { datetime: iso }, formatDate(iso));
}

export interface Column<T> {
  head: Child;
  cell(row: T): Child;
  class?: string;
}

export function table<T>(caption: string, columns: Column<T>[], rows: T[], rowAttrs?: (row: T) => Props): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, t('none_yet'));
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      null,
      h('caption', { class: 'sr-only' }, caption),
      h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.head)))),
      h(
        'tbody',
        null,
        rows.map((r) => h('tr', rowAttrs?.(r) ?? null, columns.map((c) => h('td', { class: c.class }, c.cell(r))))),
      ),
    ),
  );
}

export interface Field<E extends HTMLElement> {
  el: HTMLElement;
  input: E;
}

/** The box of a form field: its label, the control, and the hint the control's `aria-describedby` names (`<id>-hint`). */
function fieldBox(id: string, label: string, control: HTMLElement, hint?: string): HTMLElement {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null);
}

export function textField(
  label: string,
  opts: { name: string; value?: string; type?: string; required?: boolean; hint?: string; placeholder?: string; autocomplete?: string; inputmode?: string; min?: string; max?: string },
): Field<HTMLInputElement> {
  const id = uid(opts.name);
  const hintId = opts.hint ? `${id}-hint` : undefined;
  const input = h('input', {
    id,
    name: opts.name,
    type: opts.type ?? 'text',
    value: opts.value ?? '',
    required: opts.required ?? false,
    placeholder: opts.placeholder,
    autocomplete: opts.autocomplete ?? 'off',
    inputmode: opts.inputmode,
    min: opts.min,
    max: opts.max,
    'aria-describedby': hintId,
  });
  return { el: fieldBox(id, label, input, opts.hint), input };
}

/** A multi-line text field (e.g. a pasted key file); write-only secrets pass `secret`. */
export function textAreaField(
  label: string,
  opts: { name: string; value?: string; hint?: string; rows?: number; secret?: boolean },
): Field<HTMLTextAreaElement> {
  const id = uid(opts.name);
  const hintId = opts.hint ? `${id}-hint` : undefined;
  const input = h('textarea', {
    id,
    name: opts.name,
    rows: String(opts.rows ?? 4),
    value: opts.value ?? '',
    autocomplete: 'off',
    spellcheck: 'false',
    class: opts.secret ? 'secret' : undefined,
    'aria-describedby': hintId,
  });
  return { el: fieldBox(id, label, input, opts.hint), input };
}

export function selectField(
  label: string,
  name: string,
  options: { value: string; label: string }[],
  value: string,
  hint?: string,
): Field<HTMLSelectElement> {
  const id = uid(name);
  const hintId = hint ? `${id}-hint` : undefined;
  const input = h(
    'select',
    { id, name, 'aria-describedby': hintId },
    options.map((o) => h('option', { value: o.value, selected: o.value === value }, o.label)),
  );
  return { el: fieldBox(id, label, input, hint), input };
}

export function checkField(label: string, name: string, checked: boolean, hint?: string): Field<HTMLInputElement> {
  const id = uid(name);
  const hintId = hint ? `${id}-hint` : undefined;
  const input = h('input', { id, name, type: 'checkbox', checked, 'aria-describedby': hintId });
  const el = h(
    'div',
    { class: 'check' },
    input,
    h('div', null, h('label', { for: id }, label), hint ? h('p', { class: 'hint', id: hintId }, hint) : null),
  );
  return { el, input };
}

/** A fieldset of checkboxes; `selected()` answers the ticked ids. */
export function checklist(
  legend: string,
  name: string,
  items: { id: string; label: string }[],
  selected: Iterable<string>,
): { el: HTMLFieldSetElement; selected(): string[] } {
  const chosen = new Set(selected);
  const inputs: HTMLInputElement[] = [];
  const el = h(
    'fieldset',
    { class: 'checklist', name },
    h('legend', null, legend),
    items.length === 0
      ? h('p', { class: 'empty' }, t('none_yet'))
      : h(
          'div',
          { class: 'checklist-items' },
          items.map((it) => {
            const id = uid(name);
            const input = h('input', { id, type: 'checkbox', value: it.id, checked: chosen.has(it.id), 'data-label': it.label });
            inputs.push(input);
            return h('div', { class: 'check' }, input, h('label', { for: id }, it.label));
          }),
        ),
  );
  return { el, selected: () => inputs.filter((i) => i.checked).map((i) => i.value) };
}

export function button(label: string, onclick: (ev: MouseEvent) => void, kind: 'primary' | 'secondary' | 'danger' | 'link' = 'secondary', extra?: Props): HTMLButtonElement {
  return h('button', { type: 'button', class: `btn btn-${kind}`, onclick, ...(extra ?? {}) }, label);
}

export function linkButton(label: string, href: string, kind: 'primary' | 'secondary' = 'secondary'): HTMLAnchorElement {
  return h('a', { class: `btn btn-${kind}`, href }, label);
}

/** Disables a form's buttons while `work` runs. */
export async function busy<T>(form: HTMLElement, work: () => Promise<T>): Promise<T> {
  const buttons = Array.from(form.querySelectorAll('button'));
  buttons.forEach((b) => (b.disabled = true));
  form.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    buttons.forEach((b) => (b.disabled = false));
    form.removeAttribute('aria-busy');
  }
}

/** A secret shown once, with a copy button. */
export function secretOnce(label: string, value: string, testId: string): HTMLElement {
  const id = uid('secret');
  const out = h('input', { id, type: 'text', value, readonly: true, class: 'secret', 'data-secret': testId, autocomplete: 'off' });
  const copy = button(t('copy'), () => {
    out.select();
    void navigator.clipboard?.writeText(value).then(
      () => (copy.textContent = t('copied')),
      () => undefined,
    );
  });
  return h('div', { class: 'field secret-field' }, h('label', { for: id }, label), h('div', { class: 'secret-row' }, out, copy));
}

/** A value to copy (e.g. a DNS record): a read-only input and a copy button; `testId` goes to `data-copy`. */
export function copyField(label: string, value: string, testId: string): HTMLElement {
  const id = uid('copy');
  const out = h('input', { id, type: 'text', value, readonly: true, class: 'secret', 'data-copy': testId, autocomplete: 'off', spellcheck: 'false' });
  const copy = button(t('copy'), () => {
    out.select();
    void navigator.clipboard?.writeText(value).then(
      () => (copy.textContent = t('copied')),
      () => undefined,
    );
  }, 'secondary', { 'aria-label': `${t('copy')}: ${label}` });
  return h('div', { class: 'field secret-field' }, h('label', { for: id }, label), h('div', { class: 'secret-row' }, out, copy));
}

/**
 * Marks the form field named by a problem's `field`, if there is one. A
 * detail `<field>: <part>: …` names a part of it: `limits:
 * messages_per_minute: …` marks the input `limits.messages_per_minute`.
 */
export function markInvalid(form: HTMLElement, e: unknown): void {
  form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
  if (e instanceof ApiError && e.problem.field) {
    const field = e.problem.field;
    const part = e.problem.detail.startsWith(`${field}: `) ? /^(\w+):/.exec(e.problem.detail.slice(field.length + 2))?.[1] : undefined;
    const el =
      (part ? form.querySelector<HTMLElement>(`[name="${CSS.escape(`${field}.${part}`)}"]`) : null) ?? form.querySelector<HTMLElement>(`[name="${CSS.escape(field)}"]`);
    if (el) {
      el.setAttribute('aria-invalid', 'true');
    }
  }
}

export function loading(): HTMLElement {
  return h('p', { class: 'loading', role: 'status' }, t('loading'));
}

export function heading2(key: Key): HTMLElement {
  return h('h2', null, t(key));
}

export function dl(rows: [string, Child][]): HTMLElement {
  return h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}
