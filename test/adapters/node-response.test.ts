/** The ResponseWriter on Node's ServerResponse (src/adapters/node-response.ts), on real responses over a socket. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { nodeResponseWriter } from '../../packages/cors-sentinel/src/adapters/node-response';
import type { Decision } from '../../packages/cors-sentinel/src/engine/decision';

const writer = nodeResponseWriter(() => undefined);

/** Serves one request with `handler` and returns what it recorded. */
async function onResponse<T>(handler: (res: http.ServerResponse) => T): Promise<T> {
  let out: T | undefined;
  const server = http.createServer((_req, res) => {
    out = handler(res);
    if (!res.writableEnded) res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    await fetch(`http://127.0.0.1:${port}/`).then((r) => r.arrayBuffer());
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  return out as T;
}

describe('nodeResponseWriter().committed', () => {
  it('agrees with headersSent || writableEnded before the head, after writeHead, after flushHeaders and after end', async () => {
    const stages = await onResponse((res) => {
      const seen: Array<[boolean, boolean]> = [];
      const look = () => seen.push([writer.committed(res), res.headersSent || res.writableEnded]);
      look();
      res.setHeader('X-A', '1');
      look();
      res.writeHead(200);
      look();
      res.end();
      look();
      return seen;
    });
    expect(stages.map(([ours]) => ours)).toEqual([false, false, true, true]);
    for (const [ours, node] of stages) expect(ours).toBe(node);
    const flushed = await onResponse((res) => {
      res.flushHeaders();
      return writer.committed(res);
    });
    expect(flushed).toBe(true);
  });

  it('asks the public getters of a response that has no _header field', () => {
    const stand = (headersSent: boolean, writableEnded: boolean) => ({ headersSent, writableEnded }) as unknown as http.ServerResponse;
    expect(writer.committed(stand(false, false))).toBe(false);
    expect(writer.committed(stand(true, false))).toBe(true);
    expect(writer.committed(stand(false, true))).toBe(true);
  });
});

describe.each([
  ["Node's own responses (node:http, Koa)", {}],
  ['re-prototyped responses (Express)', { reprototyped: true }],
])('nodeResponseWriter() on %s', (_name, options) => {
  const decision = { headers: [['Access-Control-Allow-Origin', 'https://app.example.com']], vary: ['Origin'] } as unknown as Decision;

  it('calls the setHeader, getHeader and end a response carries itself, and those of its prototype chain', async () => {
    const w = nodeResponseWriter(() => undefined, options);
    const calls = await onResponse((res) => {
      const seen: string[] = [];
      const proto = Object.create(Object.getPrototypeOf(res) as object) as http.ServerResponse;
      const protoSetHeader = proto.setHeader;
      proto.setHeader = function (this: http.ServerResponse, name: string, value: number | string | readonly string[]) {
        seen.push(`prototype setHeader ${name}`);
        return protoSetHeader.call(this, name, value);
      };
      Object.setPrototypeOf(res, proto); // as Express does with app.response
      const [getHeader, end] = [res.getHeader, res.end];
      res.getHeader = (name: string) => (seen.push(`own getHeader ${name}`), getHeader.call(res, name));
      res.end = ((...args: unknown[]) => (seen.push('own end'), (end as (...a: unknown[]) => unknown).apply(res, args))) as typeof res.end;
      expect(w.allowOriginSet(res)).toBe(false);
      w.respond!(res, decision, 204);
      return seen;
    });
    expect(calls).toEqual([
      'own getHeader access-control-allow-origin',
      'own getHeader vary',
      'prototype setHeader Vary',
      'prototype setHeader Access-Control-Allow-Origin',
      'prototype setHeader Content-Length',
      'own end',
    ]);
  });
});
