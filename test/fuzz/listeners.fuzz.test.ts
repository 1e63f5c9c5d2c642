/**
 * The CLI listeners under generated raw traffic (issue 23 §2), each as operators run it (a child
 * process of the built CLI, its stdout and stderr captured): the sidecar proxy (client side, its
 * admin /metrics listener, and a hostile upstream), the probe exporter (`probe --serve`) and the log
 * reader's admin listener (`logs`); and the cluster primary's metrics listener in process. Each child
 * must stay up, answer below 500 or close (a proxy's 502 for a broken upstream is the right answer),
 * and print no stack trace.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterMetrics } from '../../packages/cors-sentinel/src/metrics/cluster';
import { CLI, startProcess, type Started } from '../support/processes';
import { APP } from './requests';
import { fuzzListener, STACK_FRAME, summary, type FuzzStats } from './raw-socket';

jest.setTimeout(300_000);

let dir: string;
let upstream: Server;
let upstreamUrl: string;
const children: Started[] = [];
const results: FuzzStats[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cors-fuzz-'));
  // A well-behaved backend: reads the body, answers 200.
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await Promise.all(children.splice(0).map((c) => c.stop()));
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${results.map(summary).join('\n')}\n`);
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function start(args: string[], ready: RegExp): Promise<Started> {
  const child = await startProcess(process.execPath, [CLI, ...args], ready, 30_000);
  children.push(child);
  return child;
}

const portOf = (url: string): number => Number(new URL(url).port);

/** Fuzzes a child's listener, then checks it is still running and printed no stack trace. */
async function fuzzChild(entry: string, child: Started, port: number, options: Parameters<typeof fuzzListener>[2] = {}): Promise<void> {
  const stats = await fuzzListener(entry, port, options);
  results.push(stats);
  expect(stats.failures).toEqual([]);
  expect(child.child.exitCode).toBeNull();
  expect(child.child.signalCode).toBeNull();
  const output = child.output();
  expect(output.split('\n').filter((line) => STACK_FRAME.test(`\n${line}`) || /\\n\s+at /.test(line))).toEqual([]);
  expect(stats.answered).toBeGreaterThanOrEqual(options.requests ?? 1);
}

const POLICY = JSON.stringify({
  origins: [APP, 'https://partner.example.com'],
  credentials: true,
  routes: [{ path: '/api/account/*', origins: [APP] }],
  crossOriginProtection: { mode: 'enforce', bypass: ['/webhooks/*'] },
});

describe('cors-sentinel proxy under raw-socket fuzzing', () => {
  let proxy: Started;
  let proxyUrl: string;
  let adminUrl: string;
  beforeAll(async () => {
    proxy = await start(
      ['proxy', '--policy', file('policy.json', POLICY), '--upstream', upstreamUrl, '--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0'],
      /metrics on (http:\/\/[\d.:]+)\/metrics/,
    );
    adminUrl = proxy.match[1] as string;
    proxyUrl = /listening on (http:\/\/[\d.:]+)/.exec(proxy.output())?.[1] as string;
  });

  it('client side: every request answered below 500 or closed, the proxy up, no stack trace', async () => {
    await fuzzChild('proxy (client side)', proxy, portOf(proxyUrl));
  });

  it('admin listener (/metrics, /healthz)', async () => {
    await fuzzChild('proxy admin listener', proxy, portOf(adminUrl));
  });
});

/**
 * What a hostile or broken upstream answers, carried in the request itself (`X-Fuzz-Answer`, base64)
 * so that the upstream needs no shared state; `huge:N` stands for N bytes of header.
 */
const upstreamAnswer = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 200 }),
  fc.constantFrom(
    '', 'HTTP/1.1', 'HTTP/1.1 abc OK\r\n\r\n', 'HTTP/1.1 999 Nope\r\nContent-Length: 0\r\n\r\n', 'HTTP/1.1 099 Low\r\n\r\n', 'HTTP/2 200\r\n\r\n',
    'HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 0\r\n\r\n', 'HTTP/1.1 200 OK\r\nX: a\u0000b\r\nContent-Length: 0\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n',
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n',
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
    `HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nAccess-Control-Allow-Origin: ${APP}\r\nAccess-Control-Allow-Credentials: true\r\nVary: Origin\r\nVary: *\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 2\r\n\r\nok`,
    'HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: \u00ff\r\nContent-Length: 0\r\n\r\n', 'HTTP/1.0 200 OK\r\n\r\nbody until close',
    'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n', 'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello',
    'huge:20000', 'huge:70000', 'huge:200000',
  ),
  fc.array(fc.tuple(fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}$/), fc.string({ maxLength: 80 })), { maxLength: 40 }).map(
    (headers) => `HTTP/1.1 200 OK\r\n${headers.map(([n, v]) => `${n}: ${v.replace(/[\r\n]/g, '')}\r\n`).join('')}Content-Length: 0\r\n\r\n`,
  ),
);
/**
 * Up to 20 requests pipelined per connection, on every Node version: a broken backend answer to a
 * request queued behind another cuts that client connection once the answers ahead of it are out
 * (Node 24 no longer does it itself: src/proxy/forward.ts cut(), test/proxy/pipelined-upstream-errors.test.ts).
 */
const PIPELINE = 20;
const upstreamBatch = fc.record({
  routable: fc.array(
    fc.tuple(fc.constantFrom('GET', 'POST', 'OPTIONS'), fc.constantFrom(undefined, APP, 'https://evil.test'), upstreamAnswer).map(
      ([method, origin, answer]) =>
        `${method} /api/items HTTP/1.1\r\nHost: a\r\n${origin ? `Origin: ${origin}\r\n` : ''}X-Fuzz-Answer: ${Buffer.from(answer, 'latin1').toString('base64')}\r\nContent-Length: 0\r\n\r\n`,
    ),
    { minLength: 1, maxLength: PIPELINE },
  ),
  hostile: fc.constant(null),
});

/** A raw TCP backend that writes the answer each request asks for, then closes. */
async function hostileUpstream(): Promise<{ server: TcpServer; url: string }> {
  const server = createTcpServer((socket) => {
    let head = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const encoded = /\r\nx-fuzz-answer: *([A-Za-z0-9+/=]*)/i.exec(head)?.[1] ?? '';
      const answer = Buffer.from(encoded, 'base64').toString('latin1');
      const huge = /^huge:(\d+)$/.exec(answer);
      socket.end(huge ? `HTTP/1.1 200 OK\r\nX-Huge: ${'h'.repeat(Number(huge[1]))}\r\nContent-Length: 0\r\n\r\n` : Buffer.from(answer, 'latin1'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('cors-sentinel proxy in front of a hostile upstream', () => {
  it('answers every request (the backend\'s answer or a 502/504), stays up, no stack trace', async () => {
    const { server, url } = await hostileUpstream();
    try {
      const proxy = await start(
        // No per-client cap: every request is one address's, and the backend's answers are the subject here.
        ['proxy', '--policy', file('policy-upstream.json', POLICY), '--upstream', url, '--listen', '127.0.0.1:0', '--response-timeout-ms', '3000', '--max-requests-per-client', '0'],
        /listening on (http:\/\/[\d.:]+)/,
      );
      await fuzzChild('proxy (hostile upstream)', proxy, portOf(proxy.match[1] as string), { batch: upstreamBatch, allowStatus: () => true });
    } finally {
      server.close();
    }
  });
});

describe('cors-sentinel probe --serve (the /probe exporter) under raw-socket fuzzing', () => {
  it('answers every request below 500 or closes, stays up, no stack trace', async () => {
    const config = file('probe.yml', `modules:\n  web:\n    siteOrigin: ${APP}\n    timeout: 1s\ntargets:\n  - url: ${upstreamUrl}/api\n    modules: [web]\n`);
    const exporter = await start(['probe', '--serve', '127.0.0.1:0', '--config', config], /listening on (http:\/\/\S+)/);
    await fuzzChild('probe exporter', exporter, portOf(exporter.match[1] as string));
  });
});

describe('cors-sentinel logs (the log reader\'s admin listener) under raw-socket fuzzing', () => {
  it('answers every request below 500 or closes, stays up, no stack trace', async () => {
    const reader = await start(['logs', '--format', 'nginx-json', '--metrics-listen', '127.0.0.1:0', '-'], /metrics on (http:\/\/[\d.:]+)\/metrics/);
    await fuzzChild('logs admin listener', reader, portOf(reader.match[1] as string));
  });
});

describe('the cluster primary\'s metrics listener under raw-socket fuzzing', () => {
  it('answers every request below 500 or closes and stays up', async () => {
    const primary = await clusterMetrics({ port: 0, auth: { bearerToken: 'a-fuzz-token-of-32-characters-ok' } });
    try {
      const stats = await fuzzListener('cluster primary listener', (primary.server.address() as AddressInfo).port);
      results.push(stats);
      expect(stats.failures).toEqual([]);
      expect(primary.server.listening).toBe(true);
    } finally {
      primary.server.closeAllConnections();
      await primary.close();
    }
  });
});
