// Admin: message templates (GET/POST /tenants/{t}/templates, GET/PUT/DELETE
// .../templates/{id}): subject and bodies with {{ variables }}, global or one
// company's, with a preset From and Reply-To mailbox. Edits send If-Match.

import { type Company, type Mailbox, seg, type Template } from '../../api';
import { h } from '../../dom';
import { t } from '../../i18n';
import { busy, button, checkField, type Ctx, date, errorBox, linkButton, markInvalid, messageSlot, pageHead, selectField, table, textAreaField, textField, yesNo } from '../../ui';
import { adminOf } from './users';

export async function templatesPage(ctx: Ctx): Promise<Node> {
  const { api, base } = adminOf(ctx);
  const [templates, mailboxes] = await Promise.all([api.all<Template>(`${base}/templates`), api.all<Mailbox>(`${base}/mailboxes`)]);
  const address = new Map(mailboxes.map((m) => [m.id, m.address]));
  const shown = (id?: string | null): string => (id ? (address.get(id) ?? id) : '—');
  return h(
    'section',
    null,
    pageHead(t('templates_title'), t('templates_intro'), linkButton(t('new_template'), '#/templates/new', 'primary')),
    table(
      t('templates_caption'),
      [
        { head: t('name'), cell: (x: Template) => h('a', { href: `#/templates/${x.id}` }, x.name) },
        { head: t('template_from'), cell: (x) => h('code', null, shown(x.from_mailbox_id)) },
        { head: t('template_reply_to'), cell: (x) => h('code', null, shown(x.reply_to_mailbox_id)) },
        { head: t('template_variables'), cell: (x) => x.variables.join(', ') || '—' },
        { head: t('enabled'), cell: (x) => yesNo(x.enabled) },
        { head: t('created'), cell: (x) => date(x.created_at) },
      ],
      templates,
      (x) => ({ 'data-template': x.name }),
    ),
  );
}

export async function templateFormPage(ctx: Ctx): Promise<Node> {
  const { api, base } = adminOf(ctx);
  const id = ctx.params[1] ?? 'new';
  const isNew = id === 'new';
  const path = `${base}/templates/${seg(id)}`;
  const [x, mailboxes, companies] = await Promise.all([
    isNew ? Promise.resolve(null) : api.get<Template>(path),
    api.all<Mailbox>(`${base}/mailboxes`),
    api.all<Company>(`${base}/companies`),
  ]);
  const message = messageSlot();
  const name = textField(t('name'), { name: 'name', value: x?.name ?? '', required: true });
  const global = checkField(t('template_global'), 'global', x?.global ?? true, t('template_global_hint'));
  const company = selectField(t('company'), 'company_id', companies.map((c) => ({ value: c.id, label: c.name })), x?.company_id ?? companies[0]?.id ?? '');
  const none = { value: '', label: t('template_no_preset') };
  const choices = (ok: (m: Mailbox) => boolean) => [none, ...mailboxes.filter(ok).map((m) => ({ value: m.id, label: `${m.display_name} <${m.address}>` }))];
  const from = selectField(t('template_from'), 'from_mailbox_id', choices((m) => m.sender), x?.from_mailbox_id ?? '', t('template_from_hint'));
  const replyTo = selectField(t('template_reply_to'), 'reply_to_mailbox_id', choices((m) => m.reply), x?.reply_to_mailbox_id ?? '', t('template_reply_to_hint'));
  const subject = textField(t('subject'), { name: 'subject', value: x?.subject ?? '', required: true, hint: t('template_syntax_hint') });
  const text = textAreaField(t('text_body'), { name: 'text_body', value: x?.text_body ?? '', rows: 8 });
  const html = textAreaField(t('html_body'), { name: 'html_body', value: x?.html_body ?? '', rows: 6, hint: t('html_body_hint') });
  const enabled = checkField(t('enabled'), 'enabled', x?.enabled ?? true);
  const sync = (): void => {
    company.el.hidden = global.input.checked;
  };
  global.input.addEventListener('change', sync);
  sync();

  const form: HTMLFormElement = h(
    'form',
    { class: 'card form', onsubmit: (ev) => void submit(ev) },
    h('div', { class: 'grid-2' }, name.el, h('div', null, global.el, company.el)),
    h('div', { class: 'grid-2' }, from.el, replyTo.el),
    subject.el,
    text.el,
    html.el,
    enabled.el,
    x ? h('p', { class: 'muted', 'data-testid': 'variables' }, t('template_variables'), ': ', x.variables.join(', ') || '—') : null,
    h(
      'div',
      { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, t('save')),
      linkButton(t('cancel'), '#/templates'),
      x ? button(t('delete'), () => void remove(), 'danger') : null,
    ),
  );

  async function submit(ev: SubmitEvent): Promise<void> {
    ev.preventDefault();
    await busy(form, async () => {
      message.show(null);
      const body = {
        name: name.input.value.trim(),
        global: global.input.checked,
        company_id: global.input.checked ? null : company.input.value || null,
        subject: subject.input.value,
        text_body: text.input.value,
        html_body: html.input.value.trim() ? html.input.value : null,
        from_mailbox_id: from.input.value || null,
        reply_to_mailbox_id: replyTo.input.value || null,
        enabled: enabled.input.checked,
      };
      try {
        const saved = isNew ? await api.post<Template>(`${base}/templates`, body) : await api.put<Template>(path, body, x?.version);
        ctx.flash(t('saved'));
        if (isNew) ctx.go(`/templates/${saved.id}`);
        else ctx.refresh();
      } catch (e) {
        markInvalid(form, e);
        message.show(errorBox(e));
      }
    });
  }

  async function remove(): Promise<void> {
    if (!x || !confirm(t('template_delete_confirm', { name: x.name }))) return;
    try {
      await api.del(path, x.version);
      ctx.flash(t('deleted'));
      ctx.go('/templates');
    } catch (e) {
      message.show(errorBox(e));
    }
  }

  return h('section', null, pageHead(isNew ? t('new_template') : t('template_title', { name: x?.name ?? '' })), message.el, form);
}
