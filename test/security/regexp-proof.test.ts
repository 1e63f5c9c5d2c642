/**
 * Issue #23 items 5 and 6 over real sockets: an origin RegExp that reaches beyond its own domains
 * cannot carry credentials from any source (static options, a policy file, a callback answer), a
 * narrow one grants its origins and not look-alikes; and a one-request attacker amid a flood of
 * cheap rejected origins reaches the violation log.
 */
import express from 'express';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { CorsConfigError } from '../../packages/cors-sentinel/src/policy/errors';
import { loadPolicyFile } from '../../packages/cors-sentinel/src/policy/file';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { memoryLogger } from '../support/exchange';
import { listen, send } from '../support/http';

async function app(options: CorsSentinelOptions) {
  const cors = corsSentinel({ metrics: false, logger: false, ...options });
  const a = express();
  a.use(cors);
  a.all('/api/{*rest}', (_req, res) => void res.json({ secret: 'private' }));
  const server = await listen(a);
  return { port: server.port, close: async () => (await server.close(), cors.close()) };
}

const codesOf = (create: () => unknown): string[] => {
  try {
    create();
  } catch (err) {
    if (err instanceof CorsConfigError) return err.problems.map((p) => p.code);
    throw err;
  }
  return [];
};

const ISSUE_PATTERNS = [/^https:\/\/.+\.(com|net|io)$/, /^https:\/\/.*\.github\.io$/, /^https:\/\/.*example\.com$/];

describe('item 5: a credentialed policy with a RegExp that reaches other sites cannot be created', () => {
  it.each(ISSUE_PATTERNS)('%s is refused in static options', (regexp) => {
    expect(codesOf(() => corsSentinel({ origins: [regexp], credentials: true, logger: false, metrics: false })).length).toBe(1);
  });

  it('the same patterns are refused from a policy file ({ regexp } strings)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regexp-proof-'));
    ISSUE_PATTERNS.forEach((regexp, i) => {
      const file = join(dir, `policy-${i}.json`);
      writeFileSync(file, JSON.stringify({ origins: [{ regexp: regexp.source }], credentials: true }));
      expect(codesOf(() => loadPolicyFile(file)).length).toBe(1);
    });
  });

  it('a callback answering such a pattern fails closed on the wire', async () => {
    for (const regexp of ISSUE_PATTERNS) {
      const t = await app({ origin: (_o, cb) => cb(null, regexp), credentials: true });
      try {
        for (const origin of ['https://attacker.io', 'https://attacker.github.io', 'https://evilexample.com']) {
          const res = await send(t.port, '/api/me', { Origin: origin, Cookie: 'session=victim' });
          expect(res.headers['access-control-allow-origin']).toBeUndefined();
          expect(res.headers['access-control-allow-credentials']).toBeUndefined();
        }
      } finally {
        await t.close();
      }
    }
  });
});

describe('item 5: a narrow pattern grants its origins and not look-alikes', () => {
  const narrow = [/^https:\/\/pr-\d+\.preview\.example\.com$/, /^https:\/\/[a-z0-9-]+\.example\.com$/, /^https:\/\/(app|admin)\.example\.com(:\d+)?$/];
  const granted = ['https://pr-7.preview.example.com', 'https://shop.example.com', 'https://admin.example.com:8443'];
  const lookAlikes = [
    'https://evilexample.com', 'https://example.com.attacker.io', 'https://pr-7.preview.example.com.attacker.io', 'https://app.example.co',
    'https://app-example.com', 'https://appxexample.com', 'https://admin.example.com_.attacker.io', 'http://admin.example.com', 'https://attacker.io',
  ];

  it.each(['static options', 'a callback answer'])('through %s, with credentials', async (source) => {
    const t = await app(source === 'static options' ? { origins: narrow, credentials: true } : { origin: (_o, cb) => cb(null, narrow), credentials: true });
    try {
      for (const origin of granted) {
        const res = await send(t.port, '/api/me', { Origin: origin, Cookie: 'session=victim' });
        expect([origin, res.headers['access-control-allow-origin'], res.headers['access-control-allow-credentials']]).toEqual([origin, origin, 'true']);
      }
      for (const origin of lookAlikes) {
        const res = await send(t.port, '/api/me', { Origin: origin, Cookie: 'session=victim' });
        expect([origin, res.headers['access-control-allow-origin']]).toEqual([origin, undefined]);
      }
    } finally {
      await t.close();
    }
  });
});

describe('item 6: the violation log budget cannot be spent to hide a one-request attacker', () => {
  it('junk origins at the start of every interval no longer keep the attacker out of the log; the summary counts the unnamed', async () => {
    const log = memoryLogger();
    const t = await app({ origins: ['https://app.example.com'], logger: log.logger, logging: { maxPerInterval: 10, intervalMs: 200 } });
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    // Sampled (written at the interval's end), not one of the first few written at once: junk came first.
    const attackerLine = () => log.lines.find((l) => l.message === 'cors violation' && l.origin === 'https://attacker.evil.test' && l.sampled === true);
    const summaries = () => log.lines.filter((l) => l.message === 'cors rejected origins') as Array<{ distinctOrigins: number; distinctOriginsNotShown: number }>;
    // An interval that held a whole round (21 distinct origins, 10 lines, 10 top origins) leaves some unnamed.
    const unnamedCounted = () => summaries().some((x) => x.distinctOriginsNotShown > 0);
    const attackerLogged = () => attackerLine() !== undefined && unnamedCounted();
    try {
      // Each round: 20 cheap origins first (enough to spend a first-come budget), then the attacker once.
      // A fair sample logs him with probability 7/18 per interval: 40 rounds miss him with p < 1e-8.
      for (let round = 0; round < 40 && !attackerLogged(); round++) {
        await Promise.all(Array.from({ length: 20 }, (_, i) => send(t.port, '/api/x', { Origin: `https://junk${round}-${i}.blinder.test` }, 'GET', agent)));
        await send(t.port, '/api/x', { Origin: 'https://attacker.evil.test' }, 'GET', agent);
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(attackerLine()).toBeDefined();
      expect(unnamedCounted()).toBe(true);
      expect(attackerLine()).toMatchObject({ reason: 'origin_not_allowed', method: 'GET', path: '/api/x' });
      for (const x of summaries()) expect(x.distinctOrigins).toBeGreaterThanOrEqual(x.distinctOriginsNotShown);
    } finally {
      agent.destroy();
      await t.close();
    }
  }, 60_000);
});
