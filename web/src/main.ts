// The app shell: sign-in, the page frame (header, navigation, main), and
// hash routing (`#/mailboxes`, `#/users/{id}`, ...): hash routes need no
// server-side rewrite, so the same files work from `sendas serve`, S3 +
// CloudFront or any static host.

import { ApiError } from './api';
import { h, mount } from './dom';
import { type Key, lang, setLang, t } from './i18n';
import { auditPage, resetAudit } from './pages/admin/audit';
import { domainsPage } from './pages/admin/domains';
import { companiesPage, groupPage, groupsPage } from './pages/admin/groups';
import { mailboxesPage, mailboxFormPage } from './pages/admin/mailboxes';
import { templateFormPage, templatesPage } from './pages/admin/templates';
import { userPage, usersPage } from './pages/admin/users';
import { relayPage, tenantPage, tenantsPage } from './pages/operator';
import { platformDomainsPage } from './pages/operatorDomains';
import { signInPage } from './pages/signin';
import { adminTokensPage, operatorTokensPage } from './pages/tokens';
import { sendPage } from './pages/send';
import { myAppPasswordsPage, myMailboxesPage } from './pages/user';
import { clear, consumeFragment, load, resolve, save, type Session, SignInError } from './session';
import { type Ctx, errorBox, loading, notice, type Page, type SmtpClientConfig } from './ui';

interface Section {
  nav: Key;
  page: (params: string[]) => Page;
}

type Role = Session['role'];

const SECTIONS: Record<Role, Record<string, Section>> = {
  admin: {
    mailboxes: { nav: 'nav_mailboxes', page: (p) => (p[1] ? mailboxFormPage : mailboxesPage) },
    domains: { nav: 'nav_domains', page: () => domainsPage },
    users: { nav: 'nav_users', page: (p) => (p[1] ? userPage : usersPage) },
    groups: { nav: 'nav_groups', page: (p) => (p[1] ? groupPage : groupsPage) },
    companies: { nav: 'nav_companies', page: () => companiesPage },
    tokens: { nav: 'nav_tokens', page: () => adminTokensPage },
    templates: { nav: 'nav_templates', page: (p) => (p[1] ? templateFormPage : templatesPage) },
    audit: { nav: 'nav_audit', page: () => auditPage },
  },
  user: {
    me: { nav: 'nav_my_mailboxes', page: () => myMailboxesPage },
    'app-passwords': { nav: 'nav_app_passwords', page: () => myAppPasswordsPage },
    send: { nav: 'nav_send', page: () => sendPage },
  },
  operator: {
    tenants: { nav: 'nav_tenants', page: (p) => (p[1] ? tenantPage : tenantsPage) },
    domains: { nav: 'nav_platform_domains', page: () => platformDomainsPage },
    relay: { nav: 'nav_relay', page: () => relayPage },
    'operator-tokens': { nav: 'nav_operator_tokens', page: () => operatorTokensPage },
  },
};

const root = document.getElementById('app') as HTMLElement;
let session: Session | null = null;
let smtp: SmtpClientConfig | null = null;
let flashes: { text: string; kind: 'ok' | 'warn' }[] = [];
let renderSeq = 0;
let lastSection = '';

function params(): string[] {
  return location.hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
}

function langSwitch(): HTMLElement {
  const other = lang() === 'de' ? 'en' : 'de';
  return h(
    'button',
    {
      type: 'button',
      class: 'btn btn-link lang-switch',
      lang: other,
      'aria-label': t('switch_language_label'),
      'data-testid': 'lang-switch',
      onclick: () => {
        setLang(other);
        render();
      },
    },
    t('switch_language'),
  );
}

function whoAmI(s: Session): string {
  switch (s.role) {
    case 'user':
      return `${s.me.user.name} · ${s.me.tenant.name}`;
    case 'admin':
      return s.tenant.name;
    case 'operator':
      return '';
  }
}

function shell(s: Session, main: HTMLElement, current: string): HTMLElement {
  const roleKey: Key = s.role === 'user' ? 'role_user' : s.role === 'admin' ? 'role_admin' : 'role_operator';
  const skip = h('button', { type: 'button', class: 'skip-link', onclick: () => main.querySelector<HTMLElement>('h1')?.focus() }, t('skip_to_content'));
  return h(
    'div',
    { class: 'frame' },
    skip,
    h(
      'header',
      { class: 'topbar' },
      h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '✉'), t('app_name')),
      h('div', { class: 'who' }, h('span', { class: 'badge badge-role', 'data-testid': 'role' }, t(roleKey)), ' ', whoAmI(s)),
      h(
        'div',
        { class: 'top-actions' },
        langSwitch(),
        h(
          'button',
          {
            type: 'button',
            class: 'btn btn-link',
            'data-testid': 'sign-out',
            onclick: () => {
              clear();
              session = null;
              history.replaceState(null, '', `${location.pathname}${location.search}#/`);
              render();
            },
          },
          t('sign_out'),
        ),
      ),
    ),
    h(
      'nav',
      { class: 'mainnav', 'aria-label': t('main_nav') },
      h(
        'ul',
        null,
        Object.entries(SECTIONS[s.role]).map(([path, sec]) =>
          h('li', null, h('a', { href: `#/${path}`, 'aria-current': path === current ? 'page' : undefined }, t(sec.nav))),
        ),
      ),
    ),
    main,
  );
}

function signedOutShell(main: HTMLElement): HTMLElement {
  return h(
    'div',
    { class: 'frame' },
    h(
      'header',
      { class: 'topbar' },
      h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '✉'), t('app_name')),
      h('div', { class: 'top-actions' }, langSwitch()),
    ),
    main,
  );
}

async function signIn(token: string, tenant: string): Promise<void> {
  const stored = { token, ...(tenant ? { tenant } : {}) };
  try {
    session = await resolve(stored);
    save(stored);
    history.replaceState(null, '', `${location.pathname}${location.search}#/`);
    render();
  } catch (e) {
    session = null;
    clear();
    showSignIn(e, e instanceof SignInError && e.reason === 'tenant_needed' ? token : '');
  }
}

function showSignIn(error: unknown, prefill = ''): void {
  const main = h('main', { id: 'main', tabindex: '-1' }, signInPage(signIn, error, prefill));
  mount(root, signedOutShell(main));
  document.title = `${t('signin_title')} – ${t('app_name')}`;
  document.documentElement.lang = lang();
  if (!error) main.querySelector<HTMLInputElement>('input')?.focus();
}

/** Renders the page of the current route. */
async function render(): Promise<void> {
  document.documentElement.lang = lang();
  if (!session) {
    showSignIn(null);
    return;
  }
  const s = session;
  const p = params();
  const sections = SECTIONS[s.role];
  const first = Object.keys(sections)[0] ?? '';
  const name = p[0] && sections[p[0]] ? p[0] : p.length === 0 ? first : '';
  const seq = ++renderSeq;
  const navigated = p.join('/') !== lastSection || !root.querySelector('main');
  lastSection = p.join('/');
  const main = h('main', { id: 'main', tabindex: '-1' }, loading());
  // A re-render of the same page (after a save, a language switch) keeps
  // the old page until the new one is ready, the scroll position, and the
  // focus on "the same" control; a navigation shows "loading" and focuses
  // the new page's heading.
  const scrollY = window.scrollY;
  const refocus = navigated ? null : focusFinder(document.activeElement);
  if (navigated) mount(root, shell(s, main, name));
  let content: Node;
  if (!name) {
    content = h('section', null, h('h1', { tabindex: '-1' }, t('not_found_page')));
  } else {
    if (navigated && name === 'audit') resetAudit();
    const section = sections[name] as Section;
    const ctx: Ctx = {
      session: s,
      smtp,
      params: p.length ? p : [name],
      go: (path) => {
        location.hash = `#${path}`;
      },
      refresh: () => void render(),
      flash: (text, kind = 'ok') => flashes.push({ text, kind }),
    };
    try {
      content = await section.page(ctx.params)(ctx);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        // Revoked or expired while signed in.
        clear();
        session = null;
        showSignIn(e);
        return;
      }
      content = h('section', null, h('h1', { tabindex: '-1' }, t('error_title')), errorBox(e));
    }
  }
  if (seq !== renderSeq) return;
  if (!navigated) mount(root, shell(s, main, name));
  const shown = flashes;
  flashes = [];
  mount(main, shown.map((f) => notice(f.kind, f.text)), content);
  const h1 = main.querySelector<HTMLElement>('h1');
  document.title = `${h1?.textContent ?? ''} – ${t('app_name')}`;
  if (navigated) {
    h1?.focus();
  } else {
    window.scrollTo(0, scrollY);
    const again = refocus?.();
    if (again) again.focus({ preventScroll: true });
    else h1?.focus({ preventScroll: true });
  }
}

/** How to find "the same" control after a re-render (by test id, label, name or text). */
function focusFinder(el: Element | null): (() => HTMLElement | null) | null {
  if (!(el instanceof HTMLElement) || !root.contains(el) || el.tagName === 'H1') return null;
  for (const attr of ['data-testid', 'aria-label', 'name']) {
    const v = el.getAttribute(attr);
    if (v) return () => root.querySelector<HTMLElement>(`${el.tagName.toLowerCase()}[${attr}="${CSS.escape(v)}"]`);
  }
  const tag = el.tagName.toLowerCase();
  const text = el.textContent?.trim() ?? '';
  if (!text) return null;
  return () => Array.from(root.querySelectorAll<HTMLElement>(tag)).find((x) => x.textContent?.trim() === text) ?? null;
}

async function loadConfig(): Promise<SmtpClientConfig | null> {
  try {
    const r = await fetch('config.json', { cache: 'no-store', credentials: 'omit' });
    if (!r.ok) return null;
    const c = (await r.json()) as { smtp?: SmtpClientConfig };
    return c.smtp && typeof c.smtp.host === 'string' ? c.smtp : null;
  } catch {
    return null;
  }
}

async function onHashChange(): Promise<void> {
  if (/^#\/?token=/.test(location.hash)) {
    // A sign-in link opened in a tab that already runs the app.
    consumeFragment();
    await start();
    return;
  }
  if (session) await render();
}

async function start(): Promise<void> {
  const stored = load();
  session = null;
  if (stored) {
    try {
      session = await resolve(stored);
    } catch (e) {
      clear();
      showSignIn(e, e instanceof SignInError && e.reason === 'tenant_needed' ? stored.token : '');
      return;
    }
  }
  await render();
}

async function boot(): Promise<void> {
  document.documentElement.lang = lang();
  consumeFragment();
  window.addEventListener('hashchange', () => void onHashChange());
  smtp = await loadConfig();
  await start();
}

void boot();
