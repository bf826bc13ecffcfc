// Admin: the mailbox list (the seed's five checkboxes as columns, the
// last login of authenticated mailboxes), the quota, and the create/edit
// form (SMTP settings with the login method, verify, health, sending limits),
// whether the address is owned, and confirming a single address.

import {
  type Api,
  ApiError,
  type Company,
  type Group,
  type Mailbox,
  type MailboxBody,
  type MailboxHealth,
  seg,
  type Tenant,
  type TlsName,
  type User,
  type VerifyReport,
} from '../../api';
import { h } from '../../dom';
import { formatDate, t } from '../../i18n';
import {
  busy,
  button,
  checkField,
  checklist,
  type Ctx,
  date,
  errorBox,
  linkButton,
  markInvalid,
  messageSlot,
  notice,
  pageHead,
  selectField,
  table,
  textField,
  yesNo,
} from '../../ui';
import { inheritedLimits, limitsEditor } from '../limits';
import { confirmationSection, ownershipCell, ownershipNotice } from './confirmation';
import { type LoginMethodValue, loginMethodEditor } from './loginMethod';

/** The list's cell for a mailbox's last login: a badge and its time ('—' when not authenticated). */
function healthCell(m: Mailbox): HTMLElement | string {
  if (!m.authenticated) return '—';
  const hl = m.health;
  if (!hl) return h('span', { class: 'health-cell muted', 'data-testid': 'health' }, t('health_none'));
  const stage = hl.failed_stage ? t(`stage_${hl.failed_stage}` as const) : '';
  return h(
    'span',
    { class: 'health-cell', 'data-testid': 'health', 'data-ok': String(hl.ok), 'data-stage': hl.failed_stage ?? undefined, title: hl.ok ? undefined : hl.detail },
    h('span', { class: hl.ok ? 'badge badge-on' : 'badge badge-off' }, hl.ok ? t('health_ok') : t('health_failed', { stage })),
    date(hl.at),
  );
}

/** The form's notice of the last login (next to "verify"). */
function healthNotice(hl: MailboxHealth | null | undefined): HTMLElement {
  if (!hl) return h('p', { class: 'health muted', 'data-testid': 'health' }, t('health_none_line'));
  // `at` first: the detail is the server's text and is inserted last, as it is.
  const at = formatDate(hl.at);
  if (hl.ok) return h('div', { class: 'health notice notice-ok', 'data-testid': 'health', 'data-ok': 'true' }, t('health_ok_line', { at }));
  const stage = hl.failed_stage ? t(`stage_${hl.failed_stage}` as const) : '';
  return h(
    'div',
    { class: 'health notice notice-warn', 'data-testid': 'health', 'data-ok': 'false', 'data-stage': hl.failed_stage ?? undefined },
    t('health_failed_line', { at, stage, detail: hl.detail }),
  );
}

function admin(ctx: Ctx): { api: Api; tenant: Tenant; base: string } {
  if (ctx.session.role !== 'admin') throw new Error('admin page');
  return { api: ctx.session.api, tenant: ctx.session.tenant, base: `/tenants/${seg(ctx.session.tenant.id)}` };
}

export async function mailboxesPage(ctx: Ctx): Promise<Node> {
  const { api, base } = admin(ctx);
  const [tenant, mailboxes, companies] = await Promise.all([
    api.get<Tenant>(base),
    api.all<Mailbox>(`${base}/mailboxes`),
    api.all<Company>(`${base}/companies`),
  ]);
  const companyName = new Map(companies.map((c) => [c.id, c.name]));
  const used = mailboxes.filter((m) => !m.system).length;
  const full = used >= tenant.mailbox_quota;
  return h(
    'section',
    null,
    pageHead(t('mailboxes_title'), t('mailboxes_intro'), linkButton(t('new_mailbox'), '#/mailboxes/new', 'primary')),
    h(
      'p',
      { class: full ? 'quota quota-full' : 'quota', 'data-testid': 'quota' },
      t('quota_line', { used, quota: tenant.mailbox_quota }),
      full ? [' ', t('quota_full')] : null,
    ),
    table(
      t('mailboxes_caption'),
      [
        {
          head: t('address'),
          cell: (m) =>
            h(
              'div',
              null,
              h('a', { href: `#/mailboxes/${m.id}` }, m.address),
              h('div', { class: 'muted' }, m.display_name),
              m.system ? h('span', { class: 'badge' }, t('system_mailbox')) : null,
              !m.enabled ? h('span', { class: 'badge badge-off' }, t('disabled')) : null,
            ),
        },
        { head: t('company'), cell: (m) => (m.global ? '—' : (companyName.get(m.company_id ?? '') ?? m.company_id ?? '')) },
        { head: t('flag_reply'), cell: (m) => yesNo(m.reply), class: 'center' },
        { head: t('flag_sender'), cell: (m) => yesNo(m.sender), class: 'center' },
        { head: t('flag_global'), cell: (m) => yesNo(m.global), class: 'center' },
        { head: t('flag_authenticated'), cell: (m) => yesNo(m.authenticated), class: 'center' },
        { head: t('flag_restricted'), cell: (m) => yesNo(m.restricted), class: 'center' },
        { head: t('health'), cell: healthCell },
        { head: t('ownership'), cell: ownershipCell },
      ],
      mailboxes,
      (m) => ({ 'data-address': m.address }),
    ),
  );
}

/** `#/mailboxes/new` and `#/mailboxes/{id}`. */
export async function mailboxFormPage(ctx: Ctx): Promise<Node> {
  const { api, base } = admin(ctx);
  const id = ctx.params[1];
  const isNew = id === 'new';
  const [tenant, existing, companies, users, groups] = await Promise.all([
    api.get<Tenant>(base),
    isNew ? Promise.resolve(null) : api.get<Mailbox>(`${base}/mailboxes/${seg(id ?? '')}`),
    api.all<Company>(`${base}/companies`),
    api.all<User>(`${base}/users`),
    api.all<Group>(`${base}/groups`),
  ]);
  const m = existing;
  const system = m?.system ?? false;
  const message = messageSlot();
  const confirmation = m
    ? await confirmationSection(api, base, m, (text) => {
        ctx.flash(text);
        ctx.refresh();
      })
    : null;

  const address = textField(t('address'), { name: 'address', type: 'email', value: m?.address ?? '', required: true, autocomplete: 'off' });
  const displayName = textField(t('display_name'), { name: 'display_name', value: m?.display_name ?? '', required: true });
  const namePolicy = selectField(
    t('display_name_policy'),
    'display_name_policy',
    [
      { value: 'free', label: t('display_name_policy_free') },
      { value: 'fixed', label: t('display_name_policy_fixed') },
    ],
    m?.display_name_policy ?? 'free',
    t('display_name_policy_hint'),
  );

  const reply = checkField(t('flag_reply'), 'reply', m?.reply ?? true, t('flag_reply_hint'));
  const sender = checkField(t('flag_sender'), 'sender', m?.sender ?? true, t('flag_sender_hint'));
  const global = checkField(t('flag_global'), 'global', m?.global ?? false, t('flag_global_hint'));
  const authenticated = checkField(t('flag_authenticated'), 'authenticated', m?.authenticated ?? false, t('flag_authenticated_hint'));
  const restricted = checkField(t('flag_restricted'), 'restricted', m?.restricted ?? false, t('flag_restricted_hint'));
  const enabled = checkField(t('enabled'), 'enabled', m?.enabled ?? true, t('flag_enabled_hint'));
  if (system) {
    for (const f of [sender, global, authenticated, restricted, enabled]) f.input.disabled = true;
  }

  const company = selectField(
    t('company'),
    'company_id',
    [{ value: '', label: t('company_choose') }, ...companies.map((c) => ({ value: c.id, label: c.name }))],
    m?.company_id ?? (companies.length === 1 ? (companies[0]?.id ?? '') : ''),
  );

  company.el.classList.add('company-field');

  // SMTP settings: shown when "with authentication" is ticked.
  const smtp = m?.smtp;
  const host = textField(t('smtp_host'), { name: 'host', value: smtp?.host ?? '', autocomplete: 'off' });
  const port = textField(t('smtp_port'), { name: 'port', type: 'number', value: String(smtp?.port ?? 587), min: '1', max: '65535', inputmode: 'numeric' });
  const tls = selectField(
    t('smtp_tls'),
    'tls',
    [
      { value: 'starttls', label: t('tls_starttls') },
      { value: 'tls', label: t('tls_tls') },
      { value: 'none', label: t('tls_none') },
    ],
    smtp?.tls ?? 'starttls',
  );
  const username = textField(t('smtp_username'), { name: 'username', value: smtp?.username ?? '', autocomplete: 'off' });
  const loginMethod = loginMethodEditor(smtp);
  const verifyResult = h('div', { class: 'verify-result', role: 'status', 'aria-live': 'polite', 'data-testid': 'verify-result' });
  const verifyButton = button(t('verify'), () => void verify(), 'secondary', { 'data-testid': 'verify' });
  const health = h('div', { class: 'contents' }, m?.authenticated ? healthNotice(m.health) : null);
  const smtpSet = h(
    'fieldset',
    { class: 'group', 'data-testid': 'smtp-settings' },
    h('legend', null, t('smtp_legend')),
    h('div', { class: 'grid-fill' }, host.el, port.el, tls.el, username.el, loginMethod.el),
    m?.authenticated ? [health, h('div', { class: 'verify' }, verifyButton, verifyResult)] : null,
  );

  // Access: user and group pickers, shown when "user rights" is ticked.
  const userPicker = checklist(
    t('access_users'),
    'users',
    users.map((u) => ({ id: u.id, label: `${u.name} (${u.login})` })),
    m?.users ?? [],
  );
  const groupPicker = checklist(
    t('access_groups'),
    'groups',
    groups.map((g) => ({ id: g.id, label: g.name })),
    m?.groups ?? [],
  );
  const nobody = h('p', { class: 'warn-text', role: 'status', 'data-testid': 'access-empty' }, t('access_empty_warning'));
  const accessSet = h(
    'fieldset',
    { class: 'group', 'data-testid': 'access' },
    h('legend', null, t('access_legend')),
    h('div', { class: 'grid-2' }, groupPicker.el, userPicker.el),
    nobody,
  );
  const syncNobody = (): void => {
    nobody.hidden = userPicker.selected().length + groupPicker.selected().length > 0;
  };
  accessSet.addEventListener('change', syncNobody);
  syncNobody();

  const limits = limitsEditor(t('limits_title'), 'limits', m?.limits, {
    hint: t('limits_own_hint'),
    inherited: inheritedLimits(tenant.limits?.mailbox_default, tenant.limits?.mailbox_ceiling),
  });

  const sync = (): void => {
    company.el.hidden = global.input.checked;
    smtpSet.hidden = !authenticated.input.checked;
    accessSet.hidden = !restricted.input.checked;
  };
  for (const f of [global, authenticated, restricted]) f.input.addEventListener('change', sync);
  sync();

  const body = (login: LoginMethodValue | null): MailboxBody => ({
    address: address.input.value.trim(),
    display_name: displayName.input.value.trim(),
    display_name_policy: namePolicy.input.value === 'fixed' ? 'fixed' : 'free',
    global: global.input.checked,
    company_id: global.input.checked ? null : company.input.value || null,
    sender: sender.input.checked,
    reply: reply.input.checked,
    enabled: enabled.input.checked,
    smtp:
      authenticated.input.checked && login
        ? { host: host.input.value.trim(), port: Number(port.input.value), tls: tls.input.value as TlsName, username: username.input.value.trim(), login: login.login }
        : null,
    limits: limits.value(),
  });

  const form: HTMLFormElement = h(
    'form',
    { class: 'card form', onsubmit: (ev) => void submit(ev) },
    system ? notice('info', t('system_mailbox_hint')) : null,
    h('div', { class: 'grid-2' }, address.el, displayName.el),
    namePolicy.el,
    h(
      'fieldset',
      { class: 'group flags' },
      h('legend', null, t('flags_legend')),
      h('div', { class: 'flag-grid' }, reply.el, sender.el, global.el, authenticated.el, restricted.el, enabled.el),
    ),
    company.el,
    smtpSet,
    accessSet,
    limits.el,
    h(
      'div',
      { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, t('save')),
      linkButton(t('cancel'), '#/mailboxes'),
      m && !system ? button(t('delete'), () => void remove(), 'danger') : null,
    ),
  );

  async function submit(ev: SubmitEvent): Promise<void> {
    ev.preventDefault();
    message.show(null);
    await busy(form, async () => {
      try {
        const { saved, secretError } = await save();
        // The mailbox is saved even when its secret is refused: the page
        // shows it as stored now (with the API's reason for the secret).
        if (secretError !== null) ctx.flash(t('mailbox_saved_secret_failed', { detail: problemText(secretError) }), 'warn');
        else ctx.flash(t('mailbox_saved'));
        if (isNew) ctx.go(`/mailboxes/${saved.id}`);
        else ctx.refresh();
      } catch (e) {
        markInvalid(form, e);
        const quota = e instanceof ApiError && e.type === 'quota_exceeded';
        message.show(errorBox(e, quota ? t('quota_exceeded_title') : undefined));
      }
    });
  }

  /** Saves the mailbox, then its secret; `secretError`: the mailbox was saved but the secret was refused. */
  async function save(): Promise<{ saved: Mailbox; secretError: unknown }> {
    // Everything the browser can check first: nothing is written when the login is wrong.
    const login = authenticated.input.checked && !system ? loginMethod.value() : null;
    const b = body(login);
    const wantRestricted = restricted.input.checked;
    const access = { restricted: wantRestricted, users: userPicker.selected(), groups: groupPicker.selected() };
    let saved: Mailbox;
    if (isNew || !m) {
      // A new mailbox is created unrestricted by the API. When it should
      // be restricted, create it disabled, set the access list, then
      // enable it: it is never usable by everyone in between.
      const staged = wantRestricted && b.enabled;
      saved = await api.post<Mailbox>(`${base}/mailboxes`, staged ? { ...b, enabled: false } : b);
      if (wantRestricted) saved = await api.put<Mailbox>(`${base}/mailboxes/${seg(saved.id)}/access`, access);
      if (staged) saved = await api.put<Mailbox>(`${base}/mailboxes/${seg(saved.id)}`, b);
    } else {
      // Each write names the version it was made from: an edit by someone
      // else since the form was opened answers 412 and overwrites nothing.
      let version = m.version;
      if (!system && (wantRestricted || m.restricted)) {
        // Narrow access before widening anything else.
        saved = await api.put<Mailbox>(`${base}/mailboxes/${seg(m.id)}/access`, access, version);
        version = saved.version;
      }
      saved = await api.put<Mailbox>(`${base}/mailboxes/${seg(m.id)}`, system ? { ...b, global: true, company_id: null, sender: true, enabled: true, smtp: null } : b, version);
    }
    let secretError: unknown = null;
    if (b.smtp && login?.credentials) {
      // Write-only: the secret goes to /credentials with exactly the fields of the login method.
      try {
        await api.put(`${base}/mailboxes/${seg(saved.id)}/credentials`, login.credentials);
      } catch (e) {
        secretError = e;
      }
    }
    return { saved, secretError };
  }

  async function verify(): Promise<void> {
    if (!m) return;
    verifyResult.replaceChildren(t('verify_running'));
    verifyButton.disabled = true;
    try {
      const r = await api.post<VerifyReport>(`${base}/mailboxes/${seg(m.id)}/verify`, {});
      const stage = t(`stage_${r.stage}` as const);
      verifyResult.replaceChildren(
        h(
          'div',
          { class: r.ok ? 'notice notice-ok' : 'notice notice-warn', 'data-stage': r.stage, 'data-ok': String(r.ok) },
          r.ok ? t('verify_ok', { stage }) : t('verify_failed', { stage, detail: r.detail }),
        ),
      );
      // Verify records its outcome as the mailbox's health.
      try {
        const fresh = await api.get<Mailbox>(`${base}/mailboxes/${seg(m.id)}`);
        health.replaceChildren(healthNotice(fresh.health));
      } catch {
        /* the report above says it already */
      }
    } catch (e) {
      verifyResult.replaceChildren(errorBox(e));
    } finally {
      verifyButton.disabled = false;
    }
  }

  function problemText(e: unknown): string {
    if (e instanceof ApiError) return e.problem.detail || e.problem.title;
    return e instanceof Error ? e.message : String(e);
  }

  async function remove(): Promise<void> {
    if (!m || !confirm(t('confirm_delete', { name: m.address }))) return;
    try {
      await api.del(`${base}/mailboxes/${seg(m.id)}`);
      ctx.flash(t('deleted'));
      ctx.go('/mailboxes');
    } catch (e) {
      message.show(errorBox(e));
    }
  }

  return h(
    'section',
    null,
    pageHead(isNew ? t('mailbox_new_title') : t('mailbox_edit_title', { address: m?.address ?? '' })),
    h('p', { class: 'back' }, h('a', { href: '#/mailboxes' }, `← ${t('back')}`)),
    m ? ownershipNotice(m) : null,
    confirmation,
    message.el,
    form,
  );
}
