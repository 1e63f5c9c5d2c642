/**
 * 35 days of generated browser and attack traffic through a permissive layer that granted every
 * origin (reflected Origin; credentials on /api and /admin), recorded as evidence files of two
 * instances with the format's own types — and the same requests kept for replay against the candidate.
 */
import { EVIDENCE_FORMAT, EVIDENCE_VERSION, type EvidenceEntry, type EvidenceFile } from '../../packages/cors-sentinel/src/evidence/format';
import { originMutations } from '../../packages/cli/src/probe/mutations';

export const DAY_MS = 86_400_000;
/** 2026-01-27 .. 2026-03-02: two month ends (Jan 31, Feb 28) and five Mondays inside. */
export const START = Date.UTC(2026, 0, 27);
export const DAYS = 35;
export const END = START + DAYS * DAY_MS;

export interface Shape {
  readonly route: string;
  /** A concrete path on the route, for replay. */
  readonly path: string;
  readonly origin: string;
  readonly method: string;
  readonly preflight: boolean;
  readonly headers: readonly string[];
  readonly cookie: boolean;
  readonly secFetchSite: string;
}

export type Kind = 'legit' | 'integrator' | 'attack';
export interface Recorded { readonly shape: Shape; readonly kind: Kind }

const ROUTE_PATH: Readonly<Record<string, string>> = { '/api/*': '/api/items', '/admin/*': '/admin/users', '/public/*': '/public/catalog', '/wp-admin/*': '/wp-admin/setup.php' };
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Legitimate origins and on which days (index 0..34) they call. */
interface Actor { origin: string; on: (day: number, date: Date) => boolean; calls: Omit<Shape, 'origin' | 'path' | 'secFetchSite'>[]; site: string }

const apiCalls = (extraHeaders: string[] = []): Actor['calls'] => [
  { route: '/api/*', method: 'GET', preflight: false, headers: [], cookie: true },
  { route: '/api/*', method: 'PUT', preflight: true, headers: ['content-type', ...extraHeaders], cookie: false },
  { route: '/api/*', method: 'PUT', preflight: false, headers: [], cookie: true },
];
const publicCalls: Actor['calls'] = [{ route: '/public/*', method: 'GET', preflight: false, headers: [], cookie: false }];
const daily = (): boolean => true;
const isMonthEnd = (_d: number, date: Date): boolean => new Date(date.getTime() + DAY_MS).getUTCDate() === 1 || new Date(date.getTime() + 2 * DAY_MS).getUTCDate() === 1;

export const LEGIT: readonly Actor[] = [
  { origin: 'https://app.example.com', on: daily, calls: apiCalls(['authorization']), site: 'same-site' },
  { origin: 'https://admin.example.com', on: (_d, t) => t.getUTCDay() !== 0 && t.getUTCDay() !== 6, site: 'same-site', calls: [
    ...apiCalls(['x-csrf-token']), { route: '/admin/*', method: 'DELETE', preflight: true, headers: ['x-csrf-token'], cookie: false },
    { route: '/admin/*', method: 'DELETE', preflight: false, headers: [], cookie: true }] },
  { origin: 'https://www.example.com', on: daily, calls: publicCalls, site: 'same-site' },
  { origin: 'https://docs.example.com', on: (d) => d % 2 === 0, calls: publicCalls, site: 'same-site' },
  { origin: 'https://status.example.com', on: daily, calls: publicCalls, site: 'same-site' },
  { origin: 'https://m.example.com', on: daily, calls: apiCalls(), site: 'same-site' },
  { origin: 'https://partners.example.com', on: (d) => d % 3 === 0, calls: apiCalls(), site: 'same-site' },
  { origin: 'https://checkout.example.com', on: daily, calls: apiCalls(), site: 'same-site' },
  { origin: 'https://intranet.example.com', on: (d) => d % 4 === 1, calls: apiCalls(), site: 'same-site' },
  { origin: 'https://reports.example.com', on: (_d, t) => t.getUTCDay() === 1, calls: apiCalls(['x-report-range']), site: 'same-site' },
  { origin: 'https://billing.example.com', on: isMonthEnd, calls: apiCalls(['x-invoice-batch']), site: 'same-site' },
  { origin: 'https://shop.example-store.net', on: daily, calls: apiCalls(), site: 'cross-site' },
];

/** 40 tenants of the trusted shops domain; the last 5 signed up on the last day. */
export const TENANTS = Array.from({ length: 40 }, (_, i) => `https://tenant${i}.shops.example.com`);
export const INTEGRATOR = 'https://api.integrator-co.io';
export const BURST_DAY = 20;

export function attackOrigins(): string[] {
  const mutations = [...originMutations('https://api.example.com'), ...originMutations('https://app.example.com')].map((m) => m.origin);
  const lookalikes = ['https://exarnple.com', 'https://examp1e.com', 'https://example.co', 'https://app-example.com', 'https://app.example.com.evil.net',
    'https://example.com.attacker.net', 'https://www-example.com', 'https://examplee.com', 'http://app.example.com', 'http://m.example.com', 'null', 'https://login.example.invalid',
    'https://evil.test', 'https://a.example', 'https://pay.example.com.phish.org'];
  return [...new Set([...mutations, ...lookalikes])];
}
export const BURST = Array.from({ length: 300 }, (_, i) => `https://host${i}.scan-target-${i % 17}.net`);

/** One request of the generated traffic: its shape (the same object for every request of that shape), who sent it and when. */
export interface Request extends Recorded { readonly at: number }

/**
 * The 35 days of traffic, request by request in time order: what a layer granting every origin
 * saw. The tests replay it through real layers (replay.server.test.ts) or record it straight into
 * ledger files (generate(), below).
 */
export function traffic(): Request[] {
  const out: Request[] = [];
  const shapes = new Map<string, Shape>();
  const send = (s: Shape, kind: Kind, at: number): void => {
    const key = JSON.stringify(s);
    const shape = shapes.get(key) ?? (shapes.set(key, s).get(key) as Shape);
    out.push({ shape, kind, at });
  };
  const withShape = (origin: string, c: Actor['calls'][number], site: string): Shape => ({ ...c, origin, path: ROUTE_PATH[c.route] as string, secFetchSite: site });
  for (let d = 0; d < DAYS; d++) {
    const t = START + d * DAY_MS;
    // Once a day per call (the ledger counts days, not volume), 9:00 to 16:00, the hour moving day by day
    // (generate() splits the hours over two instances: most origins are seen by both).
    LEGIT.forEach((a, k) => {
      if (a.on(d, new Date(t))) for (const c of a.calls) send(withShape(a.origin, c, a.site), 'legit', t + (9 + ((k + d) % 8)) * 3_600_000);
    });
    TENANTS.forEach((origin, i) => {
      if (i >= 35 ? d === DAYS - 1 : d % 3 === i % 3) for (const c of apiCalls()) send(withShape(origin, c, 'cross-site'), 'legit', t + (9 + (i % 8)) * 3_600_000);
    });
    for (const c of apiCalls(['x-integrator-key'])) send(withShape(INTEGRATOR, c, 'cross-site'), 'integrator', t + 3 * 3_600_000);
  }
  attackOrigins().forEach((origin, i) => {
    const at = START + (3 + (i % 29)) * DAY_MS + 2 * 3_600_000 + i * 1000;
    for (const c of [...apiCalls(['authorization']), { route: '/admin/*', method: 'DELETE', preflight: true, headers: [], cookie: false }]) send(withShape(origin, c, i % 3 === 0 ? 'cross-site' : 'absent'), 'attack', at);
  });
  BURST.forEach((origin, i) => {
    const at = START + BURST_DAY * DAY_MS + 4 * 3_600_000 + i * 900; // 300 origins in 4.5 minutes
    send(withShape(origin, { route: '/wp-admin/*', method: 'GET', preflight: false, headers: [], cookie: true }, 'absent'), 'attack', at);
  });
  // Stable: requests at the same instant keep the order they were generated in (a preflight before its request).
  return out.sort((a, b) => a.at - b.at);
}

/** Every request shape and its recorded evidence, split over two instances (by the hour), as ledger files. */
export function generate(): { files: EvidenceFile[]; recorded: Recorded[] } {
  const files = [newFile('web-1:101'), newFile('web-2:202')];
  const recorded: Recorded[] = [];
  const seen = new Set<Shape>();
  for (const { shape, kind, at } of traffic()) {
    if (!seen.has(shape)) recorded.push({ shape, kind });
    seen.add(shape);
    addRequest(files[Math.floor(at / 3_600_000) % 2] as EvidenceFile, shape, at, true);
  }
  for (const f of files) f.entries = [...(f as unknown as { byKey: Map<string, EvidenceEntry> }).byKey.values()];
  for (const f of files) delete (f as unknown as { byKey?: unknown }).byKey;
  return { files, recorded };
}

function newFile(instance: string): EvidenceFile {
  const f = { format: EVIDENCE_FORMAT, version: EVIDENCE_VERSION, instances: { [instance]: { firstSeen: START, lastSeen: END - 1 } }, days: [] as string[], entries: [], dropped: { requests: 0, pairs: 0 }, byKey: new Map() };
  for (let d = 0; d < DAYS; d++) f.days.push(dayOf(START + d * DAY_MS));
  return f as EvidenceFile;
}

/** One request through the permissive layer, recorded as a ledger writer would. */
function addRequest(file: EvidenceFile, s: Shape, at: number, granted: boolean): void {
  const byKey = (file as unknown as { byKey: Map<string, EvidenceEntry> }).byKey;
  const instance = Object.keys(file.instances)[0] as string;
  const key = `${s.route}\u0000${s.origin}`;
  const e = byKey.get(key) ?? { route: s.route, origin: s.origin, firstSeen: at, lastSeen: at, days: [], preflight: { allowed: 0, rejected: 0 }, actual: { allowed: 0, rejected: 0 }, methods: {}, headers: {}, credentialedGrants: 0, secFetchSite: {}, instances: [instance] };
  byKey.set(key, e);
  e.firstSeen = Math.min(e.firstSeen, at);
  e.lastSeen = Math.max(e.lastSeen, at);
  if (!e.days.includes(dayOf(at))) e.days = [...e.days, dayOf(at)].sort();
  const outcome = s.preflight ? e.preflight : e.actual;
  if (granted) outcome.allowed += 1;
  else outcome.rejected += 1;
  e.methods[s.method] = (e.methods[s.method] ?? 0) + 1;
  for (const h of s.headers) e.headers[h] = (e.headers[h] ?? 0) + 1;
  // The layer sent Access-Control-Allow-Credentials on /api and /admin, never on /public.
  if (granted && s.route !== '/public/*') e.credentialedGrants += 1;
  e.secFetchSite[s.secFetchSite] = (e.secFetchSite[s.secFetchSite] ?? 0) + 1;
}
