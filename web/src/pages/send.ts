// User: send a message over HTTP (POST /v1/me/messages): pick a template
// offered to the user (GET /v1/me/templates) or none, From and Reply-To from
// the user's dropdowns (the template's presets chosen first), recipients,
// the template's variables, attachments. One Idempotency-Key per form: a
// second click or a retry after a network error sends at most once.

import type { Dropdowns, Sent, Template } from '../api';
import { h } from '../dom';
import { t } from '../i18n';
import { busy, type Ctx, errorBox, markInvalid, messageSlot, notice, pageHead, selectField, textAreaField, textField } from '../ui';

/** Addresses typed comma- or line-separated. */
function addresses(text: string): string[] {
  return text
    .split(/[,;\n]/)
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
}

/** A file's content as base64 (standard alphabet, padded). */
async function base64Of(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export async function sendPage(ctx: Ctx): Promise<Node> {
  if (ctx.session.role !== 'user') throw new Error('user page');
  const api = ctx.session.api;
  const [templates, d] = await Promise.all([api.get<Template[]>('/me/templates'), api.get<Dropdowns>('/me/mailboxes')]);
  const message = messageSlot();
  let key = crypto.randomUUID();

  const template = selectField(t('template'), 'template_id', [{ value: '', label: t('no_template') }, ...templates.map((x) => ({ value: x.id, label: x.name }))], '');
  const from = selectField(t('send_from'), 'from_mailbox_id', d.from.map((m) => ({ value: m.id, label: `${m.display_name} <${m.address}>` })), d.from[0]?.id ?? '');
  const replyTo = selectField(t('send_reply_to'), 'reply_to_mailbox_id', [{ value: '', label: t('no_reply_to') }, ...d.reply_to.map((m) => ({ value: m.id, label: `${m.display_name} <${m.address}>` }))], '');
  const to = textField(t('to'), { name: 'to', required: true, hint: t('recipients_hint') });
  const cc = textField(t('cc'), { name: 'cc' });
  const bcc = textField(t('bcc'), { name: 'bcc' });
  const subject = textField(t('subject'), { name: 'subject' });
  const text = textAreaField(t('text_body'), { name: 'text_body', rows: 8 });
  const variablesBox = h('fieldset', { class: 'group', 'data-testid': 'variables' }, h('legend', null, t('template_variables')));
  let variableInputs: Map<string, HTMLInputElement> = new Map();
  const files = h('input', { type: 'file', name: 'attachments', multiple: true, id: 'attachments' });
  const filesField = h('div', { class: 'field' }, h('label', { for: 'attachments' }, t('attachments')), files);
  const plainParts = h('div', null, subject.el, text.el);

  const sync = (): void => {
    const chosen = templates.find((x) => x.id === template.input.value);
    plainParts.hidden = Boolean(chosen);
    variablesBox.hidden = !chosen || chosen.variables.length === 0;
    variableInputs = new Map();
    variablesBox.replaceChildren(h('legend', null, t('template_variables')));
    for (const v of chosen?.variables ?? []) {
      const f = textField(v, { name: `var-${v}`, required: true });
      variableInputs.set(v, f.input);
      variablesBox.append(f.el);
    }
    if (chosen?.from_mailbox_id) from.input.value = chosen.from_mailbox_id;
    replyTo.input.value = chosen?.reply_to_mailbox_id ?? '';
  };
  template.input.addEventListener('change', sync);
  sync();

  const form: HTMLFormElement = h(
    'form',
    { class: 'card form', onsubmit: (ev) => void submit(ev) },
    template.el,
    h('div', { class: 'grid-2' }, from.el, replyTo.el),
    to.el,
    h('div', { class: 'grid-2' }, cc.el, bcc.el),
    variablesBox,
    plainParts,
    filesField,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('send'))),
  );

  async function submit(ev: SubmitEvent): Promise<void> {
    ev.preventDefault();
    await busy(form, async () => {
      message.show(null);
      try {
        const attachments = await Promise.all(
          Array.from(files.files ?? []).map(async (f) => ({ filename: f.name, content_base64: await base64Of(f), ...(f.type ? { content_type: f.type } : {}) })),
        );
        const body = {
          ...(template.input.value
            ? { template_id: template.input.value, variables: Object.fromEntries(Array.from(variableInputs, ([k, i]) => [k, i.value])) }
            : { subject: subject.input.value, text_body: text.input.value }),
          from_mailbox_id: from.input.value || null,
          reply_to_mailbox_id: replyTo.input.value || null,
          to: addresses(to.input.value),
          cc: addresses(cc.input.value),
          bcc: addresses(bcc.input.value),
          attachments,
        };
        const sent = await api.postOnce<Sent>('/me/messages', body, key);
        // The next message is a new request.
        key = crypto.randomUUID();
        message.show(notice('ok', h('span', { 'data-testid': 'sent' }, t('sent_ok', { id: sent.message_id, reply: sent.upstream_reply }))));
      } catch (e) {
        markInvalid(form, e);
        message.show(errorBox(e));
      }
    });
  }

  return h('section', null, pageHead(t('send_title'), t('send_intro')), message.el, form);
}
