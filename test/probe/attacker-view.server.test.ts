/**
 * The prober's second round against real servers, each with its ground truth (issue: grade what an
 * attacker gets end to end, cover the subdomain shapes real allowlists use, never report "clean" when
 * it could not tell, probe authenticated endpoints without leaking the session, one severity table).
 * Servers: HAProxy 2.6 and Caddy 2.6 (Debian), nginx, Flask-CORS under gunicorn, Express with `cors`.
 * Each case checks the CLI (JSON, exit code) and, where the exporter reports differently, its metrics.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cors from 'cors';
import express from 'express';
import { parseExporterConfig } from '../../packages/cli/src/probe/config';
import { startExporter } from '../../packages/cli/src/probe/exporter';
import type { ProbeReport } from '../../packages/cli/src/probe/types';
import { CADDY, HAPROXY, hasBinary, type RunningEdge } from '../support/edges';
import { hasPythonModules } from '../support/gunicorn';
import { sumSamples } from '../support/metrics-text';
import { hasNginx } from '../support/nginx';
import { caddyPreflightGrantsWrites, haproxyAuthenticated, haproxyNullPreflightOnly, nginxPostOnly, nginxPrivateNetwork, SESSION_COOKIE, SITE } from './attacker-servers';
import { runCli } from './run-cli';
import { flaskWordSubdomainCredentials, listenExpress, type TestServer } from './servers';

jest.setTimeout(90_000);

/** In CI a missing tool fails the tests; elsewhere it skips them and says why. */
function describeIf(available: boolean, what: string): jest.Describe {
  if (available || process.env.CI) return describe;
  // eslint-disable-next-line no-console
  console.warn(`skipping prober tests against ${what}: not installed (apt-get install -y haproxy caddy nginx-light python3-flask-cors gunicorn); CI runs them`);
  return describe.skip;
}

const URL_PATH = '/api/me';

async function probeJson(url: string, ...args: string[]): Promise<{ report: ProbeReport; code: number | null; stdout: string }> {
  const r = await runCli(['probe', url, '--site-origin', SITE, '--json', ...args]);
  expect(r.stderr).toBe('');
  return { report: JSON.parse(r.stdout) as ProbeReport, code: r.code, stdout: r.stdout };
}

/** One scrape of a one-target exporter with the given module settings; the metrics text. */
async function scrapeOnce(url: string, module: Record<string, unknown> = {}): Promise<string> {
  const exporter = await startExporter(parseExporterConfig({ modules: { app: { siteOrigin: SITE, timeout: '5s', deadline: '30s', ...module } }, targets: [{ url, modules: ['app'] }] }), '127.0.0.1', 0);
  try {
    const res = await fetch(`${exporter.url}/probe?${new URLSearchParams({ target: url, module: 'app' })}`);
    expect(res.status).toBe(200);
    return await res.text();
  } finally {
    await exporter.close();
  }
}

async function withServer(start: () => Promise<RunningEdge | TestServer>, body: (url: string, requests: () => string[]) => Promise<void>): Promise<void> {
  const server = await start();
  try {
    await body(`${server.url.replace(/\/api\/me$/, '')}${URL_PATH}`, () => server.requests());
  } finally {
    await server.stop();
  }
}

const finding = (r: ProbeReport, cls: string) => r.findings.find((f) => f.class === cls);
const worse = (r: ProbeReport) => r.findings.filter((f) => f.severity === 'high' || f.severity === 'medium').map((f) => f.class);

describeIf(hasBinary(HAPROXY, '-v'), 'HAProxy')('HAProxy', () => {
  it('a preflight-only grant to null (GET only, no CORS on the actual GET) is info: nothing to read, nothing new to send', async () => {
    await withServer(haproxyNullPreflightOnly, async (url, requests) => {
      // With --method POST the preflights ask for POST with content-type: the grant (GET listed, no
      // Access-Control-Allow-Headers) still lets null send only the form POST it could always send.
      for (const args of [[], ['--method', 'POST']]) {
        const { report, code } = await probeJson(url, ...args);
        expect([args, code, report.verdict]).toEqual([args, 0, 'judged']);
        expect(finding(report, 'null_origin_trusted')).toMatchObject({ severity: 'info', situation: 'preflight_only', access: 'preflight_only' });
        expect(worse(report)).toEqual([]);
        expect(report.credentialedOriginReflection).toBe(false);
      }
      const metrics = await scrapeOnce(url);
      expect(sumSamples(metrics, 'cors_probe_credentialed_origin_reflection')).toBe(0);
      expect(sumSamples(metrics, 'cors_probe_findings', { class: 'null_origin_trusted', severity: 'info' })).toBe(1);
      expect(sumSamples(metrics, 'cors_probe_success')).toBe(1);
      expect(new Set(requests().map((r) => r.split(' ')[1]))).toEqual(new Set([URL_PATH]));
    });
  });

  it('an endpoint behind a session cookie is inconclusive without it, and a credentialed read with it, the cookie redacted everywhere', async () => {
    await withServer(() => haproxyAuthenticated(false), async (url, requests) => {
      const anonymous = await probeJson(url);
      expect(anonymous.code).toBe(4);
      expect(anonymous.report.verdict).toBe('inconclusive');
      expect(anonymous.report.findings).toEqual([]);
      expect(anonymous.report.inconclusive?.tryNext.join(' ')).toContain("--header 'Cookie: …'");
      const text = await runCli(['probe', url, '--site-origin', SITE]);
      expect(text.code).toBe(4);
      expect(text.stdout).toContain('INCONCLUSIVE');
      expect(text.stdout).not.toContain('No findings');

      const dir = mkdtempSync(join(tmpdir(), 'probe-session-'));
      try {
        writeFileSync(join(dir, 'headers'), `# the test's session\nCookie: ${SESSION_COOKIE}\n`);
        const outputs = [
          await runCli(['probe', url, '--site-origin', SITE, '--header', `Cookie: ${SESSION_COOKIE}`]),
          await runCli(['probe', url, '--site-origin', SITE, '--json', '--header-file', join(dir, 'headers')]),
          await runCli(['probe', url, '--site-origin', SITE, '--sarif', '--header-env', 'PROBE_SESSION'], { PROBE_SESSION: `Cookie: ${SESSION_COOKIE}` }),
        ];
        for (const out of outputs) {
          expect([out.code, out.stderr]).toEqual([1, '']);
          expect(out.stdout + out.stderr).not.toContain('s3cr3t');
          expect(out.stdout).toContain('[redacted]'); // the echoed cookie, in Access-Control-Expose-Headers
        }
        const report = JSON.parse(outputs[1]?.stdout ?? '') as ProbeReport;
        expect(finding(report, 'arbitrary_origin_reflected')).toMatchObject({ severity: 'high', situation: 'read_credentials_anyone' });
        expect(report.credentialedOriginReflection).toBe(true);
        expect(report.sentHeaders).toEqual(['cookie']);
        expect(report.verdict).toBe('judged');
        process.env.PROBE_TEST_SESSION = `Cookie: ${SESSION_COOKIE}`;
        const metrics = await scrapeOnce(url, { headerEnv: 'PROBE_TEST_SESSION' });
        expect(metrics).not.toContain('s3cr3t');
        expect(sumSamples(metrics, 'cors_probe_credentialed_origin_reflection')).toBe(1);
      } finally {
        delete process.env.PROBE_TEST_SESSION;
        rmSync(dir, { recursive: true, force: true });
      }
      expect(new Set(requests().map((r) => r.split(' ')[1]))).toEqual(new Set([URL_PATH]));
    });
  });

  it('a credentialed preflight grant in front of a 401 is a high hidden read, and the probe still says the read was not seen', async () => {
    await withServer(() => haproxyAuthenticated(true), async (url) => {
      const { report, code } = await probeJson(url);
      expect(code).toBe(1);
      expect(finding(report, 'arbitrary_origin_reflected')).toMatchObject({ severity: 'high', situation: 'hidden_read_credentials_anyone' });
      expect(report.credentialedOriginReflection).toBe(true);
      expect(report.verdict).toBe('inconclusive');
      const metrics = await scrapeOnce(url);
      expect(sumSamples(metrics, 'cors_probe_failure', { reason: 'inconclusive' })).toBe(1);
      expect(sumSamples(metrics, 'cors_probe_credentialed_origin_reflection')).toBe(1);
    });
  });
});

describeIf(hasBinary(CADDY, 'version'), 'Caddy')('Caddy', () => {
  it('preflights that grant PUT, DELETE and a JSON content-type to any origin with credentials are a high write, not a read', async () => {
    await withServer(caddyPreflightGrantsWrites, async (url, requests) => {
      const unlocked: [string[], string][] = [[[], '(DELETE)'], [['--method', 'PUT'], '(DELETE, PUT)'], [['--method', 'POST'], '(DELETE, POST, content-type)']];
      for (const [args, unlocks] of unlocked) {
        const { report, code } = await probeJson(url, ...args);
        expect(code).toBe(1);
        const reflection = finding(report, 'arbitrary_origin_reflected');
        expect(reflection).toMatchObject({ severity: 'high', situation: 'write_credentials_anyone', access: 'write' });
        expect([args, reflection?.explanation.includes(unlocks), reflection?.explanation.includes('GET')]).toEqual([args, true, false]);
        expect(report.credentialedOriginReflection).toBe(false);
      }
      const metrics = await scrapeOnce(url);
      expect(sumSamples(metrics, 'cors_probe_findings', { class: 'arbitrary_origin_reflected', severity: 'high' })).toBe(1);
      expect(sumSamples(metrics, 'cors_probe_credentialed_origin_reflection')).toBe(0);
      // Writes are judged from preflights: nothing but GET and OPTIONS was sent.
      expect(new Set(requests())).toEqual(new Set([`GET ${URL_PATH}`, `OPTIONS ${URL_PATH}`]));
    });
  });
});

describeIf(hasNginx(), 'nginx')('nginx', () => {
  it('a POST-only route is inconclusive by default (exit 4, never "no findings"), and a high read with --method POST --data', async () => {
    await withServer(nginxPostOnly, async (url, requests) => {
      const byDefault = await probeJson(url);
      expect(byDefault.code).toBe(4);
      expect(byDefault.report.verdict).toBe('inconclusive');
      expect(byDefault.report.inconclusive?.tryNext.join(' ')).toContain('--method POST --data');
      expect(requests().filter((r) => r.startsWith('POST'))).toEqual([]);
      const sarif = await runCli(['probe', url, '--site-origin', SITE, '--sarif']);
      expect(sarif.code).toBe(4);
      const run = (JSON.parse(sarif.stdout) as { runs: { properties: { verdict: string }; results: unknown[]; invocations: { toolExecutionNotifications: { level: string; message: { text: string } }[] }[] }[] }).runs[0];
      expect([run?.properties.verdict, run?.results, run?.invocations[0]?.toolExecutionNotifications[0]?.level]).toEqual(['inconclusive', [], 'warning']);
      expect(run?.invocations[0]?.toolExecutionNotifications[0]?.message.text).toContain('--method POST --data');
      const metrics = await scrapeOnce(url);
      expect(sumSamples(metrics, 'cors_probe_success')).toBe(0);
      expect(sumSamples(metrics, 'cors_probe_failure', { reason: 'inconclusive' })).toBe(1);

      const posted = await probeJson(url, '--method', 'POST', '--data', 'probe=1');
      expect(posted.code).toBe(1);
      expect(posted.report.actualMethod).toBe('POST');
      expect(finding(posted.report, 'arbitrary_origin_reflected')).toMatchObject({ severity: 'high', situation: 'read_credentials_anyone' });
      expect(finding(posted.report, 'arbitrary_origin_reflected')?.explanation).not.toContain('GET');
      expect(posted.report.credentialedOriginReflection).toBe(true);
      expect(requests().filter((r) => r.startsWith('POST')).length).toBeGreaterThan(0);
      expect(new Set(requests().map((r) => r.split(' ')[1]))).toEqual(new Set([URL_PATH]));
    });
  });

  it('Private Network Access granted to any origin with credentials is high, while the GET-only preflight grant is info', async () => {
    await withServer(nginxPrivateNetwork, async (url) => {
      const { report, code } = await probeJson(url);
      expect(code).toBe(1);
      expect(finding(report, 'private_network_access_granted')).toMatchObject({ severity: 'high', situation: 'foreign_origin_credentials' });
      expect(finding(report, 'arbitrary_origin_reflected')).toMatchObject({ severity: 'info', situation: 'preflight_only' });
      expect(report.credentialedOriginReflection).toBe(false);
    });
  });
});

describe('Express with cors({ origin: /^https:\\/\\/\\w+\\.example\\.com$/, credentials: true })', () => {
  it('is found: a one-label subdomain of any alphanumeric shape reads with credentials (medium: it takes a host under the domain)', async () => {
    const start = (): Promise<TestServer> => {
      const app = express();
      return listenExpress(app, (paths) => {
        app.use((req, _res, next) => (paths.push(req.originalUrl), next()));
        app.use(cors({ origin: /^https:\/\/\w+\.example\.com$/, credentials: true }));
        app.get('/api/me', (_req, res) => void res.json({ user: 'alice' }));
      });
    };
    await withServer(start, async (url) => {
      const { report, code } = await probeJson(url);
      expect(code).toBe(0);
      expect(finding(report, 'subdomain_trusted')).toMatchObject({ severity: 'medium', situation: 'read_credentials_restricted', evidence: { origin: 'https://corsprobe.example.com' } });
      // The hyphenated pre-domain origin is what was sent before: \w+ refuses it.
      expect(finding(report, 'pre_domain')).toBeUndefined();
      expect(worse(report)).toEqual(['subdomain_trusted']);
      expect((await runCli(['probe', url, '--site-origin', SITE, '--fail-on', 'medium'])).code).toBe(1);
    });
  });
});

describeIf(hasPythonModules('flask', 'flask_cors', 'gunicorn'), 'Flask-CORS under gunicorn')('Flask-CORS with origins=[r"https://\\w+\\.example\\.com"] and credentials', () => {
  it('trusts every one-label subdomain (medium) and, matched from the start only, the site host followed by an attacker domain (high)', async () => {
    await withServer(flaskWordSubdomainCredentials, async (url) => {
      const { report, code } = await probeJson(url);
      expect(code).toBe(1);
      expect(finding(report, 'subdomain_trusted')).toMatchObject({ severity: 'medium', situation: 'read_credentials_restricted' });
      expect(finding(report, 'post_domain')).toMatchObject({ severity: 'high', evidence: { origin: 'https://app.example.com.attacker.invalid' } });
      expect(report.credentialedOriginReflection).toBe(true);
    });
  });
});
