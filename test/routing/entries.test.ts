/**
 * The routing-path contract at the entries that are not a framework's router (issue 23 §1): `explain`
 * (CLI `--path` and `sentinel.explain()`) reads a path as the middleware does, standalone
 * `crossOriginProtection` judges an absolute-form target on its path, and the log reader reads
 * nginx's `$uri` as the path nginx routed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { crossOriginProtection } from '../../packages/cors-sentinel/src/fetch-metadata/middleware';
import { parseNginxJsonLine } from '../../packages/cli/src/logs/nginx';
import { createSentinel } from '../../packages/cors-sentinel/src/sentinel';
import { listen } from '../support/exchange';
import { CLI } from '../support/processes';
import { raw } from './corpus';

const APP = 'https://app.example.com';
const PARTNER = 'https://partner.example.com';
const POLICY = { origins: [APP], routes: [{ path: '/api/partner', name: 'partner', origins: [PARTNER] }] };

describe('explain reads --path as the middleware reads a target', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cors-route-explain-'));
  const file = join(dir, 'policy.json');
  writeFileSync(file, JSON.stringify(POLICY));
  const explain = (path: string) => spawnSync(process.execPath, [CLI, 'explain', '--policy', file, '--origin', PARTNER, '--path', path, '--json'], { encoding: 'utf8' });

  it("`explain --path '/api/partner?id=1'` strips the query and grants the partner, as the middleware does over a socket", async () => {
    const r = explain('/api/partner?id=1');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { decision: { route: string; outcome: string } };
    expect(out.decision).toMatchObject({ route: 'partner', outcome: 'allowed' });

    const app = express();
    app.use(corsSentinel({ ...POLICY, logger: false, metrics: false }));
    app.get('/api/partner', (_req, res) => void res.send('ok'));
    const server = await listen(app);
    try {
      const live = await raw(server.port, '/api/partner?id=1', { headers: { Origin: PARTNER } });
      expect(live.headers).toMatch(new RegExp(`\\r\\naccess-control-allow-origin: ${PARTNER}`, 'i'));
    } finally {
      await server.close();
    }
  });

  it('`explain --path http://[` says it is not a routable target and exits 2', () => {
    const r = explain('http://[');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('is not a request target a server would route');
  });

  it('sentinel.explain() reads req.path the same way, and names a target it cannot route', () => {
    const sentinel = createSentinel({ ...POLICY, logger: false, metrics: false });
    try {
      const read = (path: string) => sentinel.explain({ method: 'GET', path, origin: PARTNER });
      expect(read('/api/partner?id=1')).toMatchObject({ decision: { route: 'partner', outcome: 'allowed' } });
      expect(read('http://api.example.com/api/partner')).toMatchObject({ decision: { route: 'partner', outcome: 'allowed' } });
      expect(() => read('http://[')).toThrow(/not a request target a server would route/);
    } finally {
      sentinel.close();
    }
  });
});

describe('cors-sentinel proxy --backend', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cors-route-proxy-'));
  const file = join(dir, 'policy.json');
  writeFileSync(file, JSON.stringify(POLICY));
  const proxy = (backend: string) =>
    spawnSync(process.execPath, [CLI, 'proxy', '--policy', file, '--upstream', 'http://127.0.0.1:9', '--listen', '127.0.0.1:0', '--backend', backend], { encoding: 'utf8', timeout: 20_000 });

  it.each([
    ['tomcat', 'unknown backend "tomcat"; use one of werkzeug, django, rails, go, nginx, strict'],
    ['werkzeug,dotSegments=maybe', 'backend.dotSegments must be one of literal, resolve, refuse'],
  ])('refuses %s at start-up, naming the choices', (backend, message) => {
    const r = proxy(backend);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe('standalone crossOriginProtection judges the path Express routes', () => {
  it('absolute-form `POST http://host/webhooks/x` is bypassed like `/webhooks/x`; `/api/x` in absolute-form is still blocked', async () => {
    const app = express();
    app.use(crossOriginProtection({ mode: 'enforce', bypass: ['/webhooks/*'], logger: false, metrics: false }));
    app.post('/webhooks/x', (_req, res) => void res.send('H:webhook'));
    app.post('/api/x', (_req, res) => void res.send('H:api'));
    const server = await listen(app);
    const crossSite = { Origin: 'https://sender.example', 'Sec-Fetch-Site': 'cross-site', Host: 'api.example.com' };
    try {
      const webhook = await raw(server.port, 'http://api.example.com/webhooks/x', { method: 'POST', headers: crossSite, body: '{}' });
      expect(webhook.status).toBe(200);
      expect(webhook.body).toBe('H:webhook');
      const api = await raw(server.port, 'http://api.example.com/api/x', { method: 'POST', headers: crossSite, body: '{}' });
      expect(api.status).toBe(403);
    } finally {
      await server.close();
    }
  });
});

describe("the log reader reads nginx's $uri as the path nginx routed", () => {
  const line = (uri: string) => JSON.stringify({ request_method: 'GET', uri, status: '200', http_origin: PARTNER });

  it('keeps `?` and `%` of a decoded $uri (no query to cut, nothing left to decode) and refuses a relative one', () => {
    expect(parseNginxJsonLine(line('/api/partner?id'))?.request.path).toBe('/api/partner?id');
    expect(parseNginxJsonLine(line('/api/%61'))?.request.path).toBe('/api/%61');
    expect(parseNginxJsonLine(line(''))?.request.path).toBe('/');
    expect(parseNginxJsonLine(line('api/partner'))).toBeUndefined();
  });
});
