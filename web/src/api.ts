// The public /v1 API: types of its JSON shapes (from /v1/openapi.json)
// and one fetch wrapper. Errors are problem+json (RFC 9457) and surface as
// `ApiError` with the server's `type` and `detail`.

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  field?: string;
  request_id?: string;
}

export interface ListPage<T> {
  items: T[];
  next?: string;
}

export interface Tenant {
  id: string;
  name: string;
  enabled: boolean;
  mailbox_quota: number;
  created_at: string;
}

export interface Company {
  id: string;
  name: string;
  created_at: string;
}

export interface User {
  id: string;
  tenant_id: string;
  login: string;
  name: string;
  companies: string[];
  groups: string[];
  enabled: boolean;
  created_at: string;
}

export interface Group {
  id: string;
  name: string;
  created_at: string;
}

export type TlsName = 'starttls' | 'tls' | 'none';

export interface SmtpSettings {
  host: string;
  port: number;
  tls: TlsName;
  username: string;
  password_set?: boolean;
}

export interface Mailbox {
  id: string;
  address: string;
  display_name: string;
  global: boolean;
  company_id?: string | null;
  sender: boolean;
  reply: boolean;
  restricted: boolean;
  enabled: boolean;
  authenticated: boolean;
  system: boolean;
  smtp?: SmtpSettings | null;
  users: string[];
  groups: string[];
  created_at: string;
}

export interface MailboxBody {
  address: string;
  display_name: string;
  global: boolean;
  company_id: string | null;
  sender: boolean;
  reply: boolean;
  enabled: boolean;
  smtp: SmtpSettings | null;
}

export interface VerifyReport {
  ok: boolean;
  stage: 'connect' | 'tls' | 'auth' | 'done';
  detail: string;
}

export interface MailboxChoice {
  id: string;
  address: string;
  display_name: string;
}

export interface Dropdowns {
  from: MailboxChoice[];
  reply_to: MailboxChoice[];
}

export interface Credential {
  id: string;
  name: string;
  created_at: string;
}

export interface CredentialIssued extends Credential {
  username: string;
  password: string;
}

export type RoleName = 'operator' | 'admin' | 'user';

export interface Token {
  id: string;
  role: RoleName;
  tenant_id?: string | null;
  user_id?: string | null;
  name: string;
  created_at: string;
}

export interface TokenIssued extends Token {
  token: string;
}

export interface TenantCreated {
  tenant: Tenant;
  company: Company;
  system_mailbox: Mailbox;
  admin_token: TokenIssued;
}

export interface AuditRecord {
  id: string;
  at: string;
  user_id?: string | null;
  mailbox_id?: string | null;
  sending_address?: string | null;
  envelope_sender?: string | null;
  recipients: number;
  message_id?: string | null;
  size: number;
  outcome: 'accepted' | 'rejected';
  smtp_code: number;
  smtp_reply: string;
  upstream_reply?: string | null;
}

export type Relay =
  | { kind: 'outbox'; dir: string }
  | {
      kind: 'smtp';
      host: string;
      port: number;
      tls: TlsName;
      username?: string | null;
      password?: string;
      password_set?: boolean;
    };

export interface Me {
  user: User;
  tenant: Tenant;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail || problem.title || `HTTP ${status}`);
  }

  get type(): string {
    return this.problem.type;
  }
}

/** A network failure (no answer at all). */
export class NetworkError extends Error {}

export class Api {
  constructor(private readonly token: string) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}`, Accept: 'application/json' };
    const init: RequestInit = { method, headers, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let resp: Response;
    try {
      resp = await fetch(`/v1${path}`, init);
    } catch (e) {
      throw new NetworkError(String(e));
    }
    if (resp.status === 204) return undefined as T;
    const text = await resp.text();
    let data: unknown = undefined;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    }
    if (!resp.ok) {
      const p = (data ?? {}) as Partial<Problem>;
      throw new ApiError(resp.status, {
        type: p.type ?? 'http_error',
        title: p.title ?? `HTTP ${resp.status}`,
        status: resp.status,
        detail: p.detail ?? '',
        ...(p.field ? { field: p.field } : {}),
        ...(p.request_id ? { request_id: p.request_id } : {}),
      });
    }
    return data as T;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }
  post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }
  put<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('PUT', path, body);
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PATCH', path, body);
  }
  del(path: string): Promise<void> {
    return this.call<void>('DELETE', path);
  }

  /** Every item of a paged list (follows `next`; at most 50 pages). */
  async all<T>(path: string): Promise<T[]> {
    const out: T[] = [];
    let after: string | undefined;
    for (let i = 0; i < 50; i++) {
      const sep = path.includes('?') ? '&' : '?';
      const q = `${sep}limit=500${after ? `&after=${encodeURIComponent(after)}` : ''}`;
      const page = await this.get<ListPage<T>>(path + q);
      out.push(...page.items);
      if (!page.next) break;
      after = page.next;
    }
    return out;
  }
}

/** `encodeURIComponent` for path segments. */
export function seg(id: string): string {
  return encodeURIComponent(id);
}
