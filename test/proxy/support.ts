/** A proxy on a free port in front of a backend, with its admin listener, for the proxy tests. */
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { createCorsProxy, type CorsProxy, type CorsProxyOptions } from '../../packages/cli/src/proxy/proxy';
import { sumSamples } from '../support/metrics-text';

export interface RunningProxy {
  readonly proxy: CorsProxy;
  readonly url: string;
  readonly port: number;
  readonly adminUrl: string;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

export async function startProxy(options: Omit<CorsProxyOptions, 'policy'> & { policy: CorsProxyOptions['policy'] }): Promise<RunningProxy> {
  const proxy = createCorsProxy({ ...options, policy: { logger: false, ...options.policy } });
  await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => proxy.admin.listen(0, '127.0.0.1', resolve));
  const port = (proxy.server.address() as AddressInfo).port;
  const adminUrl = `http://127.0.0.1:${(proxy.admin.address() as AddressInfo).port}`;
  return {
    proxy,
    port,
    url: `http://127.0.0.1:${port}`,
    adminUrl,
    metric: async (name, labels = {}) => sumSamples(await (await fetch(`${adminUrl}/metrics`)).text(), name, labels),
    stop: () => proxy.shutdown(),
  };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A request over node:http with exactly the headers given (fetch adds and forbids some, e.g. Origin
 * rules and Connection), with a fresh connection so that keep-alive never hides a test's effect.
 */
export function send(url: string, options: { method?: string; path?: string; headers?: Record<string, string | string[]>; body?: string | Buffer } = {}): Promise<RawResponse> {
  const target = new URL(options.path ?? '/', url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
