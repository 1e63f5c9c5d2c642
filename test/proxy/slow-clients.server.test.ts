/**
 * Hostile clients of the proxy in front of real Flask under gunicorn: slow uploads (1 byte/s), bodies
 * that stall or crawl, slowloris heads, one address that opens many requests, and more requests than
 * upstream connections. Each gets a 408/429/503 from the proxy or waits at the proxy's cost alone:
 * Flask never sees a half-sent body, and a normal client is served while the attack goes on.
 */
import net from 'node:net';
import { startGunicorn, type RunningGunicorn } from '../support/gunicorn';
import { describeIfCommand } from '../support/processes';
import { sleep, waitFor } from '../support/wait';
import { send, startProxy, type RunningProxy } from './support';

jest.setTimeout(90_000);

const POLICY = { origins: ['https://app.example.com'] };

/** A raw client that sends `head`, then one byte of body every `everyMs`; `answer()` is what came back. */
interface Trickler {
  answer(): string;
  closed(): boolean;
  stop(): void;
}

function trickle(port: number, head: string, everyMs: number, localAddress = '127.0.0.1'): Trickler {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress });
  let answer = '';
  let closed = false;
  socket.on('data', (d) => (answer += d.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => {
    closed = true;
    clearInterval(timer);
  });
  socket.write(head);
  const timer = setInterval(() => socket.writable && socket.write('x'), everyMs);
  return { answer: () => answer, closed: () => closed, stop: () => (clearInterval(timer), socket.destroy()) };
}

const upload = (length: number, path = '/api/upload'): string => `POST ${path} HTTP/1.1\r\nHost: api.example.com\r\nContent-Type: application/octet-stream\r\nContent-Length: ${length}\r\n\r\n`;

describeIfCommand('gunicorn')('slow and greedy clients of the proxy in front of Flask under gunicorn', () => {
  let flask: RunningGunicorn;
  const proxies: RunningProxy[] = [];
  const clients: Trickler[] = [];
  beforeAll(async () => (flask = await startGunicorn({ corsMode: 'none' })));
  afterEach(async () => {
    for (const c of clients.splice(0)) c.stop();
    for (const p of proxies.splice(0)) await p.stop();
  });
  afterAll(() => flask?.stop());

  async function proxy(options: Partial<Parameters<typeof startProxy>[0]> = {}): Promise<RunningProxy> {
    const p = await startProxy({ upstream: flask.url, policy: POLICY, ...options });
    proxies.push(p);
    return p;
  }

  /** Upload requests gunicorn logged: a body reaches Flask only once it was complete at the proxy. */
  const uploadsSeen = (): number => (flask.output().match(/"POST \/api\/upload/g) ?? []).length;

  it('64 uploads at 1 byte/s (Content-Length 100000, each from its own address) hold no upstream connection: a normal client is served while they are attached', async () => {
    // The default pool of 64 upstream connections, and a body timeout long enough that they stay attached.
    const p = await proxy({ clientBodyTimeoutMs: 120_000 });
    const before = uploadsSeen();
    for (let i = 0; i < 64; i++) clients.push(trickle(p.port, upload(100_000), 1000, `127.0.0.${i + 2}`));
    await sleep(1500); // every slow client has started its body

    const get = await send(p.url, { path: '/api/items', headers: { origin: 'https://app.example.com' } });
    expect(get.status).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const post = await send(p.url, { method: 'POST', path: '/api/upload', body: 'y'.repeat(5000), headers: { 'content-type': 'application/octet-stream' } });
    expect(JSON.parse(post.body)).toEqual({ received: 5000 });

    // The slow uploads are still attached, unanswered, and none of them has reached Flask.
    expect(clients.filter((c) => c.closed() || c.answer() !== '')).toEqual([]);
    await waitFor(() => uploadsSeen() === before + 1, 'gunicorn to log the normal upload');
    expect(uploadsSeen()).toBe(before + 1);
  });

  it('answers 408 to a body that stalls or crawls below the minimum rate, and Flask never sees it', async () => {
    const p = await proxy({ clientBodyTimeoutMs: 500, clientBodyMinBytesPerSecond: 1024 });
    const before = uploadsSeen();
    const stalled = trickle(p.port, `${upload(1000)}0123456789`, 3_600_000);
    const crawling = trickle(p.port, upload(100_000), 100, '127.0.0.3'); // 10 bytes/s: never silent, far too slow
    clients.push(stalled, crawling);
    await waitFor(() => stalled.closed() && crawling.closed(), 'both slow bodies to be answered', { timeoutMs: 20_000 });
    for (const c of [stalled, crawling]) expect(c.answer()).toMatch(/^HTTP\/1\.1 408 /);
    expect(await p.metric('cors_proxy_refused_requests_total', { reason: 'client_body_too_slow' })).toBe(2);
    expect((await send(p.url, { path: '/api/items' })).status).toBe(200);
    expect(uploadsSeen()).toBe(before);
  });

  it('cuts a body that slows down after the buffer limit once it streams upstream, without a 500', async () => {
    const p = await proxy({ clientBodyBufferBytes: 1024, clientBodyTimeoutMs: 500, clientBodyMinBytesPerSecond: 1024 });
    const c = trickle(p.port, `${upload(100_000)}${'z'.repeat(2048)}`, 3_600_000);
    clients.push(c);
    await waitFor(() => c.closed(), 'the streaming body to be cut', { timeoutMs: 20_000 });
    expect(c.answer()).not.toMatch(/ 5\d\d /);
    expect(await p.metric('cors_proxy_refused_requests_total', { reason: 'client_body_too_slow' })).toBe(1);
    expect((await send(p.url, { path: '/api/items' })).status).toBe(200);
  });

  it('answers 408 to a slowloris head (one header line at a time) and serves others meanwhile', async () => {
    const p = await proxy({ headersTimeoutMs: 1000 });
    const loris = net.connect(p.port, '127.0.0.1');
    let answer = '';
    let closed = false;
    loris.on('data', (d) => (answer += d.toString('latin1')));
    loris.on('error', () => undefined);
    loris.on('close', () => (closed = true));
    loris.write('GET /api/items HTTP/1.1\r\nHost: api.example.com\r\n');
    const timer = setInterval(() => loris.writable && loris.write(`X-Drip-${Date.now()}: 1\r\n`), 200);
    try {
      expect((await send(p.url, { path: '/api/items' })).status).toBe(200);
      await waitFor(() => closed, 'the slowloris connection to be answered', { timeoutMs: 20_000 });
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(timer);
      loris.destroy();
    }
  });

  it('caps the requests in flight per client address with 429; other addresses are served', async () => {
    const p = await proxy({ maxRequestsPerClient: 2 });
    const held = [0, 1].map(() => trickle(p.port, upload(10), 3_600_000, '127.0.0.7'));
    clients.push(...held);
    await sleep(300);
    const third = trickle(p.port, 'GET /api/items HTTP/1.1\r\nHost: api.example.com\r\n\r\n', 3_600_000, '127.0.0.7');
    clients.push(third);
    await waitFor(() => third.answer() !== '', 'an answer to the third request');
    expect(third.answer()).toMatch(/^HTTP\/1\.1 429 [\s\S]*retry-after: 1/i);
    expect((await send(p.url, { path: '/api/items' })).status).toBe(200); // from 127.0.0.1
    expect(await p.metric('cors_proxy_refused_requests_total', { reason: 'client_limit' })).toBe(1);
  });

  it('answers 503 when no upstream connection frees up in time, or when the wait queue is full', async () => {
    const p = await proxy({ upstreamConnections: 1, upstreamQueueTimeoutMs: 300, upstreamQueueLength: 1 });
    const holding = send(p.url, { path: '/api/slow?s=3' });
    await sleep(300); // it has the one connection
    const waiting = send(p.url, { path: '/api/items' });
    const overflow = await send(p.url, { path: '/api/items' });
    expect(overflow.status).toBe(503);
    expect(overflow.headers['retry-after']).toBe('1');
    expect((await waiting).status).toBe(503);
    expect((await holding).status).toBe(200);
    expect(await p.metric('cors_proxy_refused_requests_total', { reason: 'upstream_queue_full' })).toBe(1);
    expect(await p.metric('cors_proxy_refused_requests_total', { reason: 'upstream_queue_timeout' })).toBe(1);
    expect((await send(p.url, { path: '/api/items' })).status).toBe(200); // the slot came back
  });
});
