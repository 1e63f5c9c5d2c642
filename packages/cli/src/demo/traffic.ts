/**
 * A traffic simulator that behaves like the browsers, apps and attackers in front of a real API:
 * frontends reading data, preflighted writes, tenant domains, mobile apps, public readers, plain
 * server-to-server calls, a misconfigured partner, and origin probing.
 */
import { Agent, request } from 'node:http';

export type TrafficProfile = 'normal' | 'attack';

interface Call {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

interface Scenario {
  readonly name: string;
  readonly weight: number;
  /** Calls made in order (a preflight, then its actual request). */
  readonly calls: () => readonly Call[];
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const randomId = (): string => Math.random().toString(36).slice(2, 10);

const FRONTENDS = ['https://app.example.com', 'https://admin.example.com', 'https://acme.tenant.example.com', 'https://globex.tenant.example.com', 'capacitor://localhost'];

const NORMAL: readonly Scenario[] = [
  { name: 'frontend_get', weight: 30, calls: () => [{ method: 'GET', path: '/api/products', headers: { origin: pick(FRONTENDS) } }] },
  {
    name: 'preflighted_put',
    weight: 10,
    calls: () => {
      const origin = pick(FRONTENDS);
      return [
        { method: 'OPTIONS', path: '/api/orders/42', headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type,x-request-id' } },
        { method: 'PUT', path: '/api/orders/42', headers: { origin, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json', 'x-request-id': randomId() } },
      ];
    },
  },
  { name: 'tenant_domain', weight: 5, calls: () => [{ method: 'GET', path: '/api/tenants/settings', headers: { origin: pick(['https://shop.acme-corp.com', 'https://portal.globex.io']) } }] },
  { name: 'account', weight: 5, calls: () => [{ method: 'GET', path: '/api/account/me', headers: { origin: 'https://app.example.com', cookie: 'session=demo' } }] },
  { name: 'public_reader', weight: 8, calls: () => [{ method: 'GET', path: '/public/status', headers: { origin: `https://blog-${Math.floor(Math.random() * 5)}.example.org` } }] },
  { name: 'server_to_server', weight: 25, calls: () => [{ method: 'GET', path: '/api/products', headers: {} }] },
  { name: 'legacy_feed', weight: 2, calls: () => [{ method: 'GET', path: '/legacy/feed', headers: { origin: pick(FRONTENDS) } }] },
  { name: 'misconfigured_partner', weight: 2, calls: () => [{ method: 'GET', path: '/api/products', headers: { origin: 'https://partner.example.net' } }] },
  {
    name: 'admin_on_account',
    weight: 1,
    calls: () => [{ method: 'OPTIONS', path: '/api/account/me', headers: { origin: 'https://admin.example.com', 'access-control-request-method': 'DELETE' } }],
  },
  { name: 'probe', weight: 1, calls: () => [{ method: 'GET', path: '/api/account/me', headers: { origin: `https://${randomId()}.attacker.test`, cookie: 'session=stolen' } }] },
];

const ATTACK: readonly Scenario[] = [
  ...NORMAL,
  {
    name: 'probe_burst',
    weight: 40,
    calls: () => [{ method: 'OPTIONS', path: '/api/orders/1', headers: { origin: `https://${randomId()}.attacker.test`, 'access-control-request-method': 'DELETE' } }],
  },
  { name: 'lookalike', weight: 5, calls: () => [{ method: 'GET', path: '/api/products', headers: { origin: pick(['https://app.example.com.attacker.test', 'https://evilapp.example.com', 'https://tenant.example.com']) } }] },
  {
    // A cross-site form POST with the victim's cookie: no preflight, so CORS never sees it (crossOriginProtection counts it).
    name: 'csrf_form_post',
    weight: 3,
    calls: () => [{ method: 'POST', path: '/api/account/email', headers: { origin: 'https://attacker.test', 'sec-fetch-site': 'cross-site', cookie: 'session=stolen', 'content-type': 'application/x-www-form-urlencoded' } }],
  },
  { name: 'null_origin', weight: 5, calls: () => [{ method: 'GET', path: '/api/account/me', headers: { origin: 'null', cookie: 'session=stolen' } }] },
  { name: 'invalid_origin', weight: 3, calls: () => [{ method: 'GET', path: '/api/products', headers: { origin: `https://app.example.com/${randomId()}` } }] },
  {
    name: 'header_stuffing',
    weight: 2,
    calls: () => [{ method: 'OPTIONS', path: '/api/orders/1', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': Array.from({ length: 40 }, (_, i) => `x-h${i}`).join(',') } }],
  },
];

export interface TrafficOptions {
  /** Base URL of the API, e.g. http://127.0.0.1:3000 */
  readonly target: string;
  /** Scenarios started per second. Default 20. */
  readonly rate?: number;
  readonly profile?: TrafficProfile;
  /** Stop after this long; default: until the signal aborts. */
  readonly durationMs?: number;
  readonly signal?: AbortSignal;
}

export interface TrafficStats {
  /** Requests sent, by scenario. */
  readonly sent: Record<string, number>;
  /** Responses, by status code (0 = connection error). */
  readonly statuses: Record<string, number>;
}

/** Sends traffic until `durationMs` elapses or `signal` aborts; resolves with what was sent. */
export async function runTraffic(options: TrafficOptions): Promise<TrafficStats> {
  const scenarios = options.profile === 'attack' ? ATTACK : NORMAL;
  const total = scenarios.reduce((sum, s) => sum + s.weight, 0);
  const rate = options.rate ?? 20;
  if (!(rate > 0)) throw new TypeError('traffic: rate must be positive');
  const url = new URL(options.target);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const stats: TrafficStats = { sent: {}, statuses: {} };
  const deadline = options.durationMs === undefined ? Infinity : Date.now() + options.durationMs;
  const tickMs = 100;
  let carry = 0;

  const send = (call: Call): Promise<void> =>
    new Promise((resolve) => {
      const req = request(
        { host: url.hostname, port: url.port, method: call.method, path: call.path, headers: call.headers, agent },
        (res) => {
          stats.statuses[res.statusCode ?? 0] = (stats.statuses[res.statusCode ?? 0] ?? 0) + 1;
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', () => {
        stats.statuses[0] = (stats.statuses[0] ?? 0) + 1;
        resolve();
      });
      req.end();
    });

  const runScenario = async (): Promise<void> => {
    let r = Math.random() * total;
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed: without it `scenario` may be undefined (noUncheckedIndexedAccess)
    const scenario = scenarios.find((s) => (r -= s.weight) < 0) ?? (scenarios[0] as Scenario);
    for (const call of scenario.calls()) {
      stats.sent[scenario.name] = (stats.sent[scenario.name] ?? 0) + 1;
      await send(call);
    }
  };

  const inFlight = new Set<Promise<void>>();
  try {
    while (Date.now() < deadline && !options.signal?.aborted) {
      carry += (rate * tickMs) / 1000;
      for (; carry >= 1; carry--) {
        const p = runScenario().finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await new Promise((resolve) => setTimeout(resolve, tickMs));
    }
    await Promise.all(inFlight);
  } finally {
    agent.destroy();
  }
  return stats;
}
