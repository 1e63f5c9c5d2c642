/**
 * Issue 34, items 3 and 4, over real sockets. Configured origins are canonicalised as the WHATWG URL
 * parser serialises them (what browsers send in Origin), with a warning when the written host or port
 * changes; what cannot be an origin (malformed IPv6, port 0) is refused at start-up. `localhost.` is
 * potentially trustworthy (Secure Contexts §3.1), like `localhost`, so it may be credentialed over http.
 */
import express from 'express';
import { Registry } from 'prom-client';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { compilePolicy } from '../../packages/cors-sentinel/src/engine/compile-policy';
import { CorsConfigError } from '../../packages/cors-sentinel/src/policy/errors';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { listen, send } from '../support/http';

async function withApp(options: CorsSentinelOptions, run: (port: number) => Promise<void>): Promise<void> {
  const app = express();
  app.use(corsSentinel({ logger: false, metrics: { registry: new Registry() }, ...options }));
  app.all('/{*path}', (_req, res) => void res.send('app'));
  const server = await listen(app);
  try {
    await run(server.port);
  } finally {
    await server.close();
  }
}

function problemsOf(options: CorsSentinelOptions): Array<{ path: string; code: string; message: string }> {
  try {
    compilePolicy(options);
  } catch (err) {
    if (err instanceof CorsConfigError) return err.problems.map((p) => ({ path: p.path, code: p.code, message: p.message }));
    throw err;
  }
  return [];
}

describe('configured IP origins match what browsers send', () => {
  test.each([
    ['http://[0:0:0:0:0:0:0:1]:8080', 'http://[::1]:8080'],
    ['http://[::FFFF:127.0.0.1]:8080', 'http://[::ffff:7f00:1]:8080'],
    ['http://[2001:DB8:0:0:0:0:0:1]', 'http://[2001:db8::1]'],
    ['http://127.1:3000', 'http://127.0.0.1:3000'],
    ['http://0x7f.0.0.1:3000', 'http://127.0.0.1:3000'],
    ['https://example.com:08443', 'https://example.com:8443'],
  ])('%s is matched as %s, with a warning that names it', async (written, sent) => {
    const compiled = compilePolicy({ origins: [written] });
    expect(compiled.warnings.map((w) => w.message).join('\n')).toContain(JSON.stringify(sent));
    await withApp({ origins: [written] }, async (port) => {
      const res = await send(port, '/x', { Origin: sent });
      expect(res.headers['access-control-allow-origin']).toBe(sent);
      const other = await send(port, '/x', { Origin: 'http://[::2]:8080' });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  test('canonical and merely upper-cased origins are accepted without a warning', () => {
    expect(compilePolicy({ origins: ['http://[::1]:8080', 'http://127.0.0.1:3000', 'https://App.Example.com'] }).warnings).toEqual([]);
  });

  test.each([
    'http://[::1]1:6060',
    'http://[example]:90',
    'http://[::1:90',
    'https://::1]:90',
    'http://[fe80::1ff:fe23:4567:890a%eth2]:90',
    'http://[::::::::::::::::1]:90',
    'https://foo:0',
    'http://127.0.0.1:0',
    'http://[::1]:00',
    'http://foo.bar.255:6060',
    'http://127.0.0.1.1',
  ])('%s cannot be an origin: refused at start-up', (origin) => {
    const problems = problemsOf({ origins: [origin] });
    expect(problems.map((p) => p.code)).toEqual(['invalid_origin']);
    expect(problems[0]?.message).toContain(JSON.stringify(origin));
  });

  test('the refusal names the fix: the bracketed form for IPv6, the port for port 0', () => {
    expect(problemsOf({ origins: ['http://[::1]1:6060'] })[0]?.message).toContain('write the address in brackets, then an optional port, as in http://[::1]:8080');
    expect(problemsOf({ origins: ['http://[fe80::1%eth0]:90'] })[0]?.message).toContain('no zone id');
    expect(problemsOf({ origins: ['https://foo:0'] })[0]?.message).toContain('port 0');
  });

  test('requests with port 0 or a malformed IPv6 literal are invalid origins, never matched', async () => {
    const registry = new Registry();
    const app = express();
    app.use(corsSentinel({ origins: [/^http:\/\/\[[0-9a-f:]+\](:\d+)?$/, /^https:\/\/app\.example\.com(:\d+)?$/], logger: false, metrics: { registry } }));
    app.all('/{*path}', (_req, res) => void res.send('app'));
    const server = await listen(app);
    try {
      for (const origin of ['http://[::::]', 'http://[1:2:3:4:5:6:7:8:9]', 'https://app.example.com:0', 'http://[::1]:0']) {
        const res = await send(server.port, '/x', { Origin: origin });
        expect([origin, res.headers['access-control-allow-origin']]).toEqual([origin, undefined]);
      }
      const ok = await send(server.port, '/x', { Origin: 'http://[::1]:8080' });
      expect(ok.headers['access-control-allow-origin']).toBe('http://[::1]:8080');
      const text = await registry.metrics();
      expect(text).toMatch(/cors_violations_total\{[^}]*reason="invalid_origin"[^}]*\} 4/);
    } finally {
      await server.close();
    }
  });
});

describe('http://localhost. is potentially trustworthy, like http://localhost', () => {
  test('listed with credentials: accepted, and granted with credentials over the wire', async () => {
    const origins = ['http://localhost.:5173', 'http://app.localhost.'];
    expect(problemsOf({ origins, credentials: true })).toEqual([]);
    await withApp({ origins, credentials: true }, async (port) => {
      for (const origin of origins) {
        const res = await send(port, '/x', { Origin: origin, Cookie: 's=1' });
        expect([res.headers['access-control-allow-origin'], res.headers['access-control-allow-credentials']]).toEqual([origin, 'true']);
      }
    });
  });

  test('admitted by a resolver with credentials: granted (the run-time insecure-origin check agrees)', async () => {
    await withApp({ resolveOrigin: (o) => o === 'http://localhost.:5173' || o === 'http://intranet.example', credentials: true }, async (port) => {
      const dot = await send(port, '/x', { Origin: 'http://localhost.:5173' });
      expect(dot.headers['access-control-allow-origin']).toBe('http://localhost.:5173');
      // A plain-http origin that is not loopback stays refused with credentials.
      const plain = await send(port, '/x', { Origin: 'http://intranet.example' });
      expect(plain.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  test('a look-alike is not loopback: http://localhost.example.com with credentials is refused', () => {
    expect(problemsOf({ origins: ['http://localhost.example.com'], credentials: true }).map((p) => p.code)).toEqual(['credentials_with_insecure_origin']);
  });
});
