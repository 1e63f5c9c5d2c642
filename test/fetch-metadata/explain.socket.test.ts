/**
 * `explain()` gives cross-origin protection's verdict (issue #30): for every combination of method,
 * path, Origin and Sec-Fetch-Site below (all of them, not a sample), what `cors.explain()` says the
 * protection does is what the real server does over a socket — blocked exactly when the answer is the
 * protection's 403 and the handler never ran.
 */
import express from 'express';
import { Registry } from 'prom-client';
import { corsSentinel } from '../../packages/cors-sentinel/src';
import { listen, memoryLogger, send, type Running } from '../support/exchange';

const APP = 'https://app.example.com';
const METHODS = ['POST', 'PUT', 'DELETE', 'PATCH', 'GET'];
const PATHS = ['/api/transfer', '/webhooks/stripe'];
const SITES = [undefined, 'same-origin', 'same-site', 'cross-site', 'none', 'bogus'];

describe.each(['enforce', 'report-only'] as const)('explain() and the server agree on cross-origin protection (%s)', (mode) => {
  let server: Running;
  let ran = 0;
  const cors = corsSentinel({
    origins: [APP], credentials: true, metrics: { registry: new Registry() }, logger: memoryLogger().logger,
    crossOriginProtection: { mode, trustedOrigins: ['https://partner.example'], bypass: ['/webhooks/*'], status: 403 },
  });
  beforeAll(async () => {
    const app = express();
    app.use(cors);
    app.all('/{*rest}', (_req, res) => {
      ran += 1;
      res.status(200).send('handler');
    });
    server = await listen(app);
  });
  afterAll(async () => {
    cors.close();
    await server.close();
  });

  it('on every combination of method, path, Origin and Sec-Fetch-Site', async () => {
    const host = `127.0.0.1:${server.port}`;
    const origins = [undefined, APP, 'https://evil.example', 'https://partner.example', 'null', `http://${host}`];
    const seen = { blocked: 0, would_block: 0, allowed: 0, unjudged: 0 };
    const disagreements: string[] = [];
    for (const method of METHODS) for (const path of PATHS) for (const origin of origins) for (const site of SITES) {
      const headers: Record<string, string> = {};
      if (origin !== undefined) headers.Origin = origin;
      if (site !== undefined) headers['Sec-Fetch-Site'] = site;
      const before = ran;
      const answer = await send(server.port, { method, path, headers });
      const explained = await cors.explain({ method, path, origin, secFetchSite: site, host });
      const decision = explained.protection?.decision ?? 'unjudged';
      seen[decision] += 1;
      const blockedByServer = answer.status === 403 && ran === before;
      if ((decision === 'blocked') !== blockedByServer) disagreements.push(`${method} ${path} Origin=${origin} Sec-Fetch-Site=${site}: explain ${decision}, server ${answer.status}`);
      if (decision === 'blocked' && !explained.why.startsWith('Cross-origin protection (enforce)')) disagreements.push(`${method} ${path}: blocked but the sentence is ${explained.why}`);
    }
    expect(disagreements).toEqual([]);
    expect(seen.unjudged).toBe(PATHS.length * origins.length * SITES.length); // GET only
    if (mode === 'enforce') expect(seen.blocked).toBeGreaterThan(0);
    else expect({ blocked: seen.blocked, wouldBlock: seen.would_block > 0 }).toEqual({ blocked: 0, wouldBlock: true });
    expect(seen.allowed).toBeGreaterThan(0);
  });
});
