/**
 * Differential test against the real `cors` package: the same option object and the same requests go
 * through `cors(...)` and through `corsSentinel(...)`, each in its own Express app, and the status,
 * body and CORS headers must be identical — except for the documented, deliberate differences
 * (docs/migration-from-cors.md), each of which is asserted where it applies.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import cors, { type CorsOptions } from 'cors';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { compilePolicy } from '../../packages/cors-sentinel/src/engine/compile-policy';
import { CorsConfigError } from '../../packages/cors-sentinel/src/policy/errors';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { listen, send, type Running } from '../support/exchange';
import { DIFFERENCE_IDS, expectCore, formattingOnly, shapeOf, type Answer, type DifferenceId } from './expectations';
import { APP, HOST, optionSets, REQUESTS, type MatrixRequest } from './matrix';

const DOC = readFileSync(join(__dirname, '../../docs/migration-from-cors.md'), 'utf8');
/** Difference ids of the doc's table of asserted differences: rows that start with | `id` |. */
const documented = new Set([...DOC.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1] as string));

function app(layer: RequestHandler): express.Express {
  const a = express();
  a.use(layer);
  a.use((_req, res) => { res.status(200).send('app'); });
  const onError: ErrorRequestHandler = (_err, _req, res, _next) => { res.status(500).send('error'); };
  a.use(onError);
  return a;
}

async function ask(server: Running, r: MatrixRequest): Promise<Answer> {
  const res = await send(server.port, { method: r.method, path: '/resource', headers: { Host: HOST, ...r.headers } });
  const get = (name: string) => {
    const v = res.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  return shapeOf(res.status, res.body, get);
}

describe('differential test against the cors package', () => {
  const used = new Set<DifferenceId>();
  let combinations = 0;

  test.each(optionSets().map((s) => [s.id, s] as const))('%s', async (_id, set) => {
    const withCors = await listen(app(cors(set.cors)));
    const withCore = await listen(app(corsSentinel({ ...set.core, logger: false, metrics: false })));
    try {
      for (const request of REQUESTS) {
        const raw: { value?: Answer['raw'] } = {};
        const expected = await expectCore(set, request, (r) => ask(withCors, r), used, raw);
        const core = await ask(withCore, request);
        expect({ request: request.name, ...core.shape }).toEqual({ request: request.name, ...expected });
        formattingOnly(core, raw.value ?? core.raw, expected, used);
        combinations++;
      }
    } finally {
      await Promise.all([withCors.close(), withCore.close()]);
    }
  });

  test('covers several hundred option/request combinations', () => {
    expect(combinations).toBeGreaterThanOrEqual(300);
    expect(combinations).toBe(optionSets().length * REQUESTS.length);
  });

  test('every divergence allowed is documented, and every documented one occurs', () => {
    expect([...used].sort()).toEqual([...DIFFERENCE_IDS].sort());
    expect([...documented].sort()).toEqual([...DIFFERENCE_IDS, ...CONFIG_DIFFERENCES.map((c) => c.id)].filter((v, i, a) => a.indexOf(v) === i).sort());
  });
});

/** Options cors accepts and the core refuses at start-up, each with the problem code it must report. */
const CONFIG_DIFFERENCES: Array<{ id: string; options: CorsOptions & CorsSentinelOptions; code: string }> = [
  { id: 'no-default-origin', options: {}, code: 'no_origins' },
  { id: 'reflect-any-opt-in', options: { origin: true }, code: 'reflect_any_not_enabled' },
  { id: 'credentials-with-any-origin', options: { origin: '*', credentials: true }, code: 'credentials_with_any_origin' },
  { id: 'credentials-with-any-origin', options: { origin: true, credentials: true, dangerouslyReflectAnyOrigin: true }, code: 'credentials_with_reflect_any' },
  { id: 'regexp-anchoring', options: { origin: /example\.com$/ }, code: 'unanchored_regexp' },
  { id: 'regexp-anchoring', options: { origin: [/^https:\/\/app\.example\.com$/g] }, code: 'stateful_regexp_flag' },
  { id: 'regexp-anchoring', options: { origin: [/^https:\/\/app\.example\.com$/y] }, code: 'stateful_regexp_flag' },
  { id: 'insecure-origin-with-credentials', options: { origin: ['http://app.example.com'], credentials: true }, code: 'credentials_with_insecure_origin' },
];

describe('options cors accepts and the core refuses (documented)', () => {
  test.each(CONFIG_DIFFERENCES.map((c) => [c.id, c.code, c] as const))('%s: %s', async (id, code, c) => {
    expect(documented.has(id)).toBe(true);
    expect(() => compilePolicy(c.options)).toThrow(CorsConfigError);
    try {
      compilePolicy(c.options);
    } catch (err) {
      expect((err as CorsConfigError).problems.map((p) => p.code)).toContain(code);
    }
    // cors takes the same options without complaint and answers with them.
    const server = await listen(app(cors(c.options)));
    try {
      const res = await send(server.port, { path: '/resource', headers: { Host: HOST, Origin: APP } });
      expect(res.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  test('what the refusals protect against: cors grants credentials to any site with "*" or origin: true', async () => {
    const star = await listen(app(cors({ origin: true, credentials: true })));
    try {
      const res = await send(star.port, { path: '/resource', headers: { Host: HOST, Origin: 'https://attacker.example' } });
      expect([res.headers['access-control-allow-origin'], res.headers['access-control-allow-credentials']]).toEqual(['https://attacker.example', 'true']);
    } finally {
      await star.close();
    }
  });
});
