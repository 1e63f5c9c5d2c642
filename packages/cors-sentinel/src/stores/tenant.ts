/** Compiles a `tenantFrom` declaration into a function over the neutral request, and how far a page can choose it. */
import { describe } from '../origin/describe';
import { hasCaptureGroup, isAnchored, isStartAnchored, parseRegExp } from '../origin/regexp-source';
import { compileLinear, type LinearRegExp } from '../origin/linear-regexp';
import { compileHostTemplate, compilePathTemplate } from './tenant-template';
import { MAX_TENANT_LENGTH } from './types';

/**
 * What a tenant is read from: the parts of the engine's neutral request (CorsRequest) that a
 * `tenantFrom` declaration can name. Declared by shape, so that stores need nothing from the engine.
 */
export interface TenantRequest {
  readonly path: string;
  readonly host?: string;
  readonly target?: string;
}

export interface CompiledTenantSource {
  readonly tenantOf: (req: TenantRequest) => string | undefined;
  /** Header names the answer now depends on. */
  readonly vary: readonly string[];
  /**
   * `bound`: the tenant comes from where the request is sent (path or host), which a cross-site page
   * cannot re-point at another tenant's data. `request-chosen`: any page picks it (query string).
   */
  readonly binding: 'bound' | 'request-chosen';
}

const EXPECTED = 'expected { path: "/t/:tenant" }, { host: ":tenant.api.example.com" } (or an anchored RegExp with one capture group), or { query: name }';

/**
 * Where configuration problems go: the policy's ProblemCollector fits. Declared here, by shape, so
 * that stores do not import the policy layer (which imports stores).
 */
export interface TenantProblemSink {
  add(path: string, code: 'tenant_header_unusable' | 'unanchored_tenant_path' | 'invalid_type' | 'regexp_not_linear', message: string): void;
}

export function compileTenantSource(source: unknown, at: string, problems: TenantProblemSink): CompiledTenantSource | undefined {
  if (source === undefined) return undefined;
  const s = (typeof source === 'object' && source !== null ? source : {}) as Partial<Record<'header' | 'query' | 'path' | 'host', unknown>>;
  if (s.header !== undefined) {
    problems.add(
      `${at}.header`,
      'tenant_header_unusable',
      'a browser preflight carries only the names of the headers a script will send, never their values, so the tenant is unknown when the preflight ' +
        'is judged and every cross-origin request that sets the header fails; bind the tenant in the path ({ path: "/t/:tenant" }) or the host ({ host: ":tenant.api.example.com" }) instead',
    );
    return undefined;
  }
  if (typeof s.query === 'string' && s.query !== '') {
    const name = s.query;
    return { tenantOf: (req) => clean(queryParam(req.target ?? req.path, name)), vary: [], binding: 'request-chosen' };
  }
  const key = s.path !== undefined ? 'path' : s.host !== undefined ? 'host' : undefined;
  if (key !== undefined) {
    const read = compileBoundReader(s[key], key, `${at}.${key}`, problems);
    if (!read) return undefined;
    // The path the framework routes on: the tenant is read where the route is chosen.
    if (key === 'path') return { tenantOf: (req) => clean(read(req.path)), vary: [], binding: 'bound' };
    // A service answers on few host names: remember each Host header's tenant (bounded).
    const byHost = memoise((host) => clean(read(hostName(host))));
    return { tenantOf: (req) => byHost(req.host), vary: [], binding: 'bound' };
  }
  problems.add(at, 'invalid_type', `${EXPECTED}, got ${describe(source)}`);
  return undefined;
}

/** A template (`'/t/:tenant'`, `':tenant.api.example.com'`) or a RegExp, as a function from path or host to tenant id. */
function compileBoundReader(spec: unknown, key: 'path' | 'host', at: string, problems: TenantProblemSink): ((value: string) => string | undefined) | undefined {
  if (typeof spec === 'string') {
    const template = key === 'path' ? compilePathTemplate(spec) : compileHostTemplate(spec);
    if (!template.ok) problems.add(at, 'invalid_type', template.message);
    return template.ok ? template.read : undefined;
  }
  if (!(spec instanceof RegExp)) {
    problems.add(at, 'invalid_type', `${EXPECTED}, got ${describe(spec)}`);
    return undefined;
  }
  const linear = compileTenantRegExp(spec, key, at, problems);
  if (!linear) return undefined;
  // The linear-time engine needs microseconds to extract a group, and paths repeat: memoise.
  return key === 'path' ? memoise((path) => linear.group(path, 1)) : (host) => linear.group(host, 1);
}

/**
 * A bounded memo over request text: emptied when full, and long inputs skip it, so an attacker's
 * distinct values cost only the computation itself. `null` stands for "no tenant" so one lookup suffices.
 */
function memoise(compute: (value: string) => string | undefined): (value: unknown) => string | undefined {
  const memo = new Map<string, string | null>();
  return (value) => {
    if (typeof value !== 'string') return undefined;
    if (value.length > MAX_MEMO_KEY_LENGTH) return compute(value);
    const known = memo.get(value);
    if (known !== undefined) return known ?? undefined;
    const result = compute(value);
    if (memo.size >= MAX_MEMO_ENTRIES) memo.clear();
    memo.set(value, result ?? null);
    return result;
  };
}

const MAX_MEMO_ENTRIES = 1_024;
const MAX_MEMO_KEY_LENGTH = 256;

/** A tenant RegExp must capture the id and start at the beginning (and, for a host, end at its end). */
function compileTenantRegExp(regexp: RegExp, key: 'path' | 'host', at: string, problems: TenantProblemSink): LinearRegExp | undefined {
  const parsed = parseRegExp(regexp);
  if (regexp.global || regexp.sticky || !parsed.ok || !hasCaptureGroup(parsed.ast)) {
    problems.add(at, 'invalid_type', `${String(regexp)}: expected a RegExp with a capture group for the tenant id and no g/y flag`);
    return undefined;
  }
  const anchored = key === 'path' ? isStartAnchored(regexp) : isAnchored(regexp);
  if (!anchored) {
    problems.add(
      at,
      'unanchored_tenant_path',
      `${String(regexp)} is not anchored: a request could name a tenant anywhere in its ${key}; write it as ${key === 'path' ? '^/t/([^/]+)/' : '^([a-z0-9-]+)\\.api\\.example\\.com$'}`,
    );
    return undefined;
  }
  const linear = compileLinear(regexp);
  if (!linear.ok) {
    problems.add(at, 'regexp_not_linear', linear.message);
    return undefined;
  }
  return linear.regexp;
}

/** A Host header without its port, lower-cased (what `{ host }` tenant patterns see). */
function hostName(host: string): string {
  const colon = host.lastIndexOf(':');
  const name = colon > host.lastIndexOf(']') ? host.slice(0, colon) : host;
  return hasUpperCase(name) ? name.toLowerCase() : name;
}

/** Browsers send lower-case hosts: checking is cheaper than lower-casing every time. */
function hasUpperCase(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}

function queryParam(url: string, name: string): string | undefined {
  const q = url.indexOf('?');
  if (q === -1) return undefined;
  return new URLSearchParams(url.slice(q + 1)).get(name) ?? undefined;
}

/** A tenant id is a short printable string; anything else means "no tenant" (no lookup). */
function clean(value: string | string[] | undefined | null): string | undefined {
  if (typeof value !== 'string' || value === '' || value.length > MAX_TENANT_LENGTH) return undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x21 || c === 0x7f) return undefined;
  }
  return value;
}
