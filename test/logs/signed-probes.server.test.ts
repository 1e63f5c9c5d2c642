/**
 * Signed probes through the nginx access log (`cors-sentinel logs --probe-key-file`): the real prober
 * against a real nginx writing the cors_json format; the reader verifies each line's signature over its
 * `request_uri`, measured from the line's `time`, and counts verified probes apart.
 */
import path from 'node:path';
import { LogFollower } from '../../packages/cli/src/logs/follow';
import { NGINX_LOG_FORMAT } from '../../packages/cli/src/logs/nginx';
import { createLogObserver } from '../../packages/cli/src/logs/observer';
import { runProbe } from '../../packages/cli/src/probe/probe';
import { signProbe } from '../../packages/cors-sentinel/src/http/probe-signature';
import { startNginx } from '../support/nginx';
import { describeIfCommand } from '../support/processes';
import { sumSamples } from '../support/metrics-text';

const KEY = Buffer.from('0123456789abcdef'.repeat(4));
const WRONG_KEY = Buffer.from('fedcba9876543210'.repeat(4));

/** An API behind nginx that grants nothing cross-origin: every probe origin is rejected. */
const CONFIG = `
  ${NGINX_LOG_FORMAT}
  server {
    listen 127.0.0.1:@PORT@;
    access_log @PREFIX@/cors.log cors_json;
    location / { return 200 '{"ok":true}'; }
  }`;

describeIfCommand('nginx')('log reader with --probe-key-file on a real nginx', () => {
  it('counts the signed probe apart, and a probe signed with another key as traffic', async () => {
    const nginx = await startNginx({ httpBody: CONFIG });
    const logs = createLogObserver({ expectedOrigins: ['https://app.example.com'], probeKey: KEY, logger: false });
    const follower = new LogFollower(path.join(nginx.prefix, 'cors.log'), logs.line, { pollMs: 25 });
    await follower.start();
    const metric = async (name: string, labels: Record<string, string> = {}) => sumSamples(await logs.registry.metrics(), name, labels);
    const readAll = async (lines: number) => {
      for (const until = Date.now() + 10_000; (await metric('cors_log_lines_total')) < lines;) {
        if (Date.now() > until) throw new Error(`read ${await metric('cors_log_lines_total')} of ${lines} lines`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    try {
      const signed = await runProbe({ url: `${nginx.url}/api/me?page=1`, probeKey: KEY, concurrency: 2 });
      await readAll(signed.requestsSent);
      expect(await metric('cors_verified_probe_requests_total')).toBeGreaterThan(30);
      expect(await metric('cors_requests_total')).toBe(0);
      const forged = await runProbe({ url: `${nginx.url}/api/me?page=1`, probeKey: WRONG_KEY, concurrency: 2 });
      await readAll(signed.requestsSent + forged.requestsSent);
      expect(await metric('cors_requests_total', { outcome: 'rejected' })).toBeGreaterThan(25);
      expect(await metric('cors_probe_signature_failures_total', { reason: 'mismatch' })).toBeGreaterThan(25);
    } finally {
      await follower.stop();
      logs.close();
      await nginx.stop();
    }
  });
});

describe('log reader: the signature window runs from the line\'s time', () => {
  const line = (time: string, header: string) => JSON.stringify({
    time, http_origin: 'https://evil.example', host: 'api.example.com', scheme: 'https', http_sec_fetch_site: '', request_method: 'GET',
    uri: '/api/me', status: '200', sent_http_access_control_allow_origin: '', request_uri: '/api/me?page=1', http_cors_sentinel_probe: header,
  });
  it('verifies a probe logged a day ago as of then, and refuses one signed an hour before its line', async () => {
    const logs = createLogObserver({ probeKey: KEY, logger: false });
    const dayAgo = Math.floor(Date.now() / 1000) - 86_400;
    const req = { method: 'GET', target: '/api/me?page=1', origin: 'https://evil.example' };
    logs.line(line(new Date(dayAgo * 1000).toISOString(), signProbe(KEY, req, dayAgo)));
    logs.line(line(new Date(dayAgo * 1000).toISOString(), signProbe(KEY, req, dayAgo - 3600)));
    const text = await logs.registry.metrics();
    expect(sumSamples(text, 'cors_verified_probe_requests_total')).toBe(1);
    expect(sumSamples(text, 'cors_probe_signature_failures_total', { reason: 'expired' })).toBe(1);
    logs.close();
  });
});
