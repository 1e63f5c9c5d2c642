/**
 * The routing differential's shared parts: the handlers every app mounts, a policy that marks the
 * CORS route it judged in `Access-Control-Expose-Headers`, a seeded corpus of encoded and odd targets
 * (fast-check), a raw-socket client and the check itself — the handler that ran was judged under its
 * own CORS route, or the request was refused with 400.
 */
import fc from 'fast-check';
import { connect } from 'node:net';
import { compilePolicy } from '../../packages/cors-sentinel/src/engine/compile-policy';
import { selectRoute } from '../../packages/cors-sentinel/src/engine/decide';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';

export const ORIGIN = 'https://app.example.com';
export const SEED = 20_261_206;

/** Literal handler paths: each app answers `H:<path>` from the handler that ran. */
export const HANDLERS = ['/api/account/me', '/api/account/transfer', '/api/me', '/api/public/x', '/api/other', '/webhooks/x'] as const;

const ROUTES = [
  { name: 'account', path: '/api/account/*' },
  { name: 'me', path: '/api/me' },
  { name: 'public', path: '/api/public*' },
  { name: 'webhooks', path: '/webhooks/*' },
];

/** Every route trusts ORIGIN and names itself in an exposed header, so a response shows the route it was judged under. */
export const MARKING_POLICY: CorsSentinelOptions = {
  origins: [ORIGIN],
  exposedHeaders: ['x-route-default'],
  routes: ROUTES.map((r) => ({ ...r, origins: [ORIGIN], exposedHeaders: [`x-route-${r.name}`] })),
  logger: false,
  metrics: false,
};

const compiled = compilePolicy(MARKING_POLICY);

/** The CORS route a handler's own path falls under. */
export function routeOfHandler(handler: string): string {
  return selectRoute(compiled, handler).name;
}

const KINDS = ['encode', 'double-slash', 'dot', 'semicolon', 'case', 'trailing', 'encoded-slash', 'backslash', 'double-encode'] as const;
type Mutation = { readonly kind: (typeof KINDS)[number]; readonly at: number; readonly flag: boolean };

function slashAtOrAfter(path: string, at: number): number {
  const i = path.indexOf('/', at % path.length);
  return i === -1 ? path.indexOf('/') : i;
}

function encode(c: string, upper: boolean): string {
  const hex = c.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${upper ? hex.toUpperCase() : hex}`;
}

function mutate(path: string, m: Mutation): string {
  const i = m.at % path.length;
  const c = path[i] as string;
  const s = slashAtOrAfter(path, m.at);
  switch (m.kind) {
    case 'encode':
      return c === '%' ? path : path.slice(0, i) + encode(c, m.flag) + path.slice(i + 1);
    case 'double-slash':
      return `${path.slice(0, s)}/${path.slice(s)}`;
    case 'dot':
      return `${path.slice(0, s + 1)}${m.flag ? 'x/../' : './'}${path.slice(s + 1)}`;
    case 'semicolon': {
      const next = path.indexOf('/', i + 1);
      return next === -1 ? `${path};x=1` : `${path.slice(0, next)};x=1${path.slice(next)}`;
    }
    case 'case':
      return path.slice(0, i) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + path.slice(i + 1);
    case 'trailing':
      return `${path}/`;
    case 'encoded-slash':
      return s <= 0 ? path : `${path.slice(0, s)}${m.flag ? '%2F' : '%2f'}${path.slice(s + 1)}`;
    case 'backslash':
      return s <= 0 ? path : `${path.slice(0, s)}${m.flag ? '\\' : '%5C'}${path.slice(s + 1)}`;
    case 'double-encode':
      return c === '%' ? `${path.slice(0, i + 1)}25${path.slice(i + 1)}` : path.slice(0, i) + encode('%', true) + encode(c, m.flag).slice(1) + path.slice(i + 1);
  }
}

const mutation = fc.record({ kind: fc.constantFrom(...KINDS), at: fc.nat({ max: 64 }), flag: fc.boolean() });
const target = fc
  .record({
    handler: fc.constantFrom(...HANDLERS),
    mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
    absolute: fc.constantFrom('', '', '', 'http://api.example.com', 'HTTP://api.example.com'),
    query: fc.constantFrom('', '', '?a=/api/account/me', '#f'),
  })
  .map(({ handler, mutations, absolute, query }) => absolute + mutations.reduce(mutate, handler as string) + query);

/** The attacks of issue 23 §1, then a seeded corpus of `size` generated targets. */
export function corpus(size: number): string[] {
  const fixed = [
    '/api/%61ccount/me', '/api/account%2fme', '/api/acc%6Funt/me', '/api//account/me', '//api/account/me', '/api/me;x=1',
    '/API/Account/me', '/api/account/me/', '/api/me//', 'http://api.example.com/api/account/me', '/api/x/../account/me', '/api/%2e%2e/api/account/me',
  ];
  return [...fixed, ...HANDLERS, ...fc.sample(target, { seed: SEED, numRuns: size })];
}

export interface Answer {
  readonly status: number;
  readonly headers: string;
  readonly body: string;
  readonly exposed: string;
  readonly handler: string | undefined;
}

/** One request with the target written verbatim (absolute-form, dot segments, backslashes) over a fresh connection. */
export function raw(port: number, target: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const headers = split === -1 ? text : text.slice(0, split);
      const body = split === -1 ? '' : text.slice(split + 4);
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0),
        headers,
        body,
        exposed: /\r\naccess-control-expose-headers: ([^\r]*)/i.exec(headers)?.[1] ?? '',
        handler: /H:(\S+)/.exec(body)?.[1],
      });
    });
    const fields = Object.entries({ Host: 'api.example.com', Connection: 'close', ...options.headers }).map(([k, v]) => `${k}: ${v}\r\n`);
    if (options.body !== undefined) fields.push(`Content-Length: ${Buffer.byteLength(options.body)}\r\n`);
    socket.write(`${options.method ?? 'GET'} ${target} HTTP/1.1\r\n${fields.join('')}\r\n${options.body ?? ''}`);
  });
}

/** A cross-origin GET from ORIGIN. */
export function get(port: number, target: string): Promise<Answer> {
  return raw(port, target, { headers: { Origin: ORIGIN } });
}

export interface Tally {
  /** Targets whose handler ran (other than the handler's own literal path). */
  handledShaped: number;
  refused: number;
  unrouted: number;
  violations: string[];
}

/** Sends every target; a handler that ran must have been judged under its own route, and nothing is a 5xx or a dropped connection. */
export async function differential(port: number, targets: readonly string[]): Promise<Tally> {
  const tally: Tally = { handledShaped: 0, refused: 0, unrouted: 0, violations: [] };
  for (const t of targets) {
    const a = await get(port, t);
    if (a.status === 0 || a.status >= 500) tally.violations.push(`${JSON.stringify(t)}: status ${a.status}`);
    else if (a.handler !== undefined) {
      const expected = `x-route-${routeOfHandler(a.handler)}`;
      if (a.exposed !== expected) tally.violations.push(`${JSON.stringify(t)} ran ${a.handler} but was judged as ${a.exposed || '(no CORS headers)'}, not ${expected}`);
      if (t !== a.handler) tally.handledShaped++;
    } else if (a.status === 400) tally.refused++;
    else tally.unrouted++;
  }
  return tally;
}
