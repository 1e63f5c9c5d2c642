/**
 * A target that fights back, over real sockets: it redirects elsewhere, streams bodies forever,
 * or answers with oversized headers. The prober contacts only the one URL, finishes, and fails
 * with a clear reason instead of hanging or crashing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runProbe } from '../../packages/cli/src/probe/probe';
import { ProbeFailure } from '../../packages/cli/src/probe/http';

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string; hits: () => number }> {
  let hits = 0;
  const server = http.createServer((req, res) => (hits++, handler(req, res)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`, hits: () => hits };
}

const close = (s: http.Server) => new Promise((r) => (s.closeAllConnections(), s.close(r)));

describe('a hostile target', () => {
  it('cannot redirect the probe to another host', async () => {
    const other = await listen((_req, res) => res.end('ok'));
    const target = await listen((_req, res) => res.writeHead(302, { location: other.url, 'access-control-allow-origin': '*' }).end());
    try {
      const report = await runProbe({ url: target.url, budget: 20 });
      expect(report.requestsSent).toBe(20);
      expect(target.hits()).toBe(20);
      expect(other.hits()).toBe(0);
    } finally {
      await close(target.server);
      await close(other.server);
    }
  });

  it('cannot hold the probe with bodies that never end', async () => {
    let open = 0;
    const target = await listen((req, res) => {
      open++;
      res.writeHead(200, { 'access-control-allow-origin': '*' });
      const timer = setInterval(() => res.write('x'.repeat(1024)), 5);
      req.socket.on('close', () => (clearInterval(timer), open--));
    });
    try {
      const report = await runProbe({ url: target.url, budget: 30, timeoutMs: 2000 });
      expect(report.requestsSent).toBe(30);
      expect(report.findings.map((f) => f.class)).toContain('public_wildcard');
      // Every connection was closed by the prober once the headers were read.
      for (let i = 0; i < 50 && open > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(open).toBe(0);
    } finally {
      await close(target.server);
    }
  });

  it('fails with a protocol reason on oversized headers, without crashing', async () => {
    const target = await listen((_req, res) => res.writeHead(200, { 'x-big': 'y'.repeat(64 * 1024) }).end());
    try {
      await expect(runProbe({ url: target.url })).rejects.toEqual(expect.objectContaining({ reason: 'protocol' }));
      await expect(runProbe({ url: target.url })).rejects.toBeInstanceOf(ProbeFailure);
    } finally {
      await close(target.server);
    }
  });
});
