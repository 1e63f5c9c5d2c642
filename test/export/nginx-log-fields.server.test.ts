/**
 * The exported `cors_json` log reads the answer's credentials, methods and headers from the export's own
 * variables instead of nginx's `$sent_http_*` scans of the response headers (a saving per request:
 * docs/BENCHMARKS.md). Whatever the traffic, each line must be the one the `$sent_http_*` format writes:
 * the same nginx writes both formats for every request here, and the two logs are compared line by line
 * (time included: both lines of a request are written in the same instant).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { listen, rawExchange, send, type Req, type Running } from '../support/exchange';
import { app, startEdge, type RunningEdge } from './edges';
import { APP, equivalenceVectors, POLICY, POLICY_2, PRESENCE_VECTORS } from './vectors';

jest.setTimeout(180_000);

/** The exported format with every response field read as before: nginx's `$sent_http_*` variable. */
function referenceFormat(exported: string): string {
  const format = /^log_format cors_json .*$/m.exec(exported)?.[0];
  if (format === undefined) throw new Error('no cors_json log_format in the export');
  const reference = format.replace('cors_json', 'cors_reference').replace(/"(sent_http_[a-z_]+)":"[^"]*"/g, '"$1":"$$$1"');
  expect(reference.replace('cors_reference', 'cors_json')).not.toBe(format);
  return reference;
}

/** The exported config as written, plus the reference log beside its own. */
const launch = (dir: string): { command: string; args: string[] } => {
  const conf = join(dir, 'nginx.conf');
  const text = readFileSync(conf, 'utf8');
  if (!text.includes('cors_reference')) {
    const reference = referenceFormat(readFileSync(join(dir, 'cors-http.conf'), 'utf8'));
    writeFileSync(conf, text.replace('    access_log cors.log cors_json;', `    ${reference}\n    access_log cors.log cors_json;\n    access_log reference.log cors_reference;`));
  }
  return { command: 'nginx', args: ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')] };
};

/**
 * The upstream writes CORS headers of its own on /own-cors (the edge hides them) and a Vary of its own on
 * /vary (passed on, so the log's Vary stays nginx's own reading); anything else is the shared app.
 */
function upstreamHandler(...[req, res]: Parameters<typeof app>): void {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/api/own-cors') {
    return void res.writeHead(200, {
      'access-control-allow-origin': 'https://upstream.example', 'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'PATCH', 'access-control-allow-headers': 'x-upstream', 'content-type': 'text/plain',
    }).end('own');
  }
  if (path === '/api/vary') return void res.writeHead(200, { vary: 'Accept-Encoding', 'content-type': 'text/plain' }).end('vary');
  app(req, res);
}

const EXTRA: Req[] = [
  { path: '/api/own-cors', headers: { Origin: APP } },
  { path: '/api/own-cors', headers: { Origin: 'https://evil.example' } },
  { path: '/api/own-cors' },
  { path: '/api/vary', headers: { Origin: APP } },
  { path: '/public/own-cors', headers: { Origin: APP } },
  { path: '/api/items', headers: { Origin: APP, 'Sec-Fetch-Site': 'cross-site', 'Cors-Sentinel-Probe': 'x' } },
];

/** Requests nginx ends before any location answers (400s): no header was sent, whatever the maps would grant. */
const RAW = [
  `GET /api/items HTTP/1.1\r\nHost: a\r\nOrigin: ${APP}\r\nHost: b\r\nConnection: close\r\n\r\n`,
  `OPTIONS /api/items HTTP/1.1\r\nHost: a\r\nOrigin: ${APP}\r\nAccess-Control-Request-Method: PUT\r\nHost: b\r\nConnection: close\r\n\r\n`,
  `GET /api/items HTTP/1.1\r\nOrigin: ${APP}\r\nConnection: close\r\n\r\n`,
];

async function lines(path: string, count: number): Promise<string[]> {
  for (let i = 0; i < 200; i++) {
    const all = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
    if (all.length >= count) return all;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`fewer than ${count} lines in ${path}`);
}

const ALLOW = 'sent_http_access_control_allow_';

/** Each policy, with the answer fields its traffic here carries at least once (POLICY_2's /api allows no preflight method). */
describe.each([
  ['POLICY', POLICY, [`${ALLOW}credentials`, `${ALLOW}methods`, `${ALLOW}headers`]],
  ['POLICY_2', POLICY_2, [`${ALLOW}credentials`, `${ALLOW}headers`]],
] as Array<[string, CorsSentinelOptions, string[]]>)('%s', (_name, policy, carried) => {
  let upstream: Running;
  let edge: RunningEdge;
  beforeAll(async () => {
    upstream = await listen(upstreamHandler);
    edge = await startEdge('nginx', policy, upstream.port, launch);
  });
  afterAll(async () => {
    await edge?.close();
    await upstream?.close();
  });

  it('writes, for every request, the line the $sent_http_* format writes', async () => {
    const requests = [...equivalenceVectors(), ...PRESENCE_VECTORS].map(([, r]) => r).concat(EXTRA);
    for (const r of requests) await send(edge.port, r);
    for (const head of RAW) await rawExchange(edge.port, head);
    const own = await lines(join(edge.dir, 'cors.log'), requests.length + RAW.length);
    const reference = await lines(join(edge.dir, 'reference.log'), own.length);
    expect(own).toEqual(reference);
    // The comparison saw every kind of answer the fields can carry.
    const fields = own.map((l) => JSON.parse(l) as Record<string, string>);
    expect(carried.filter((key) => !fields.some((f) => f[key] !== ''))).toEqual([]);
    expect(fields.filter((f) => f.status === '400' && f.http_origin === APP).length).toBeGreaterThanOrEqual(2);
    expect(fields.some((f) => f.sent_http_vary === 'Accept-Encoding')).toBe(true);
  });
});
