/**
 * The prober against real servers configured the way their users configure them: nginx echoing
 * `$http_origin` with credentials, Flask-CORS under gunicorn (defaults, and an unanchored regex with
 * credentials), Express with the `cors` package reflecting origins, and cors-sentinel with a strict
 * policy. Each case checks the CLI's JSON (and exit code), the exporter's metrics for the same target,
 * and that only the one URL was ever requested.
 */
import express from 'express';
import cors from 'cors';
import { Registry } from 'prom-client';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { parseExporterConfig } from '../../packages/cli/src/probe/config';
import { startExporter, type ProbeExporter } from '../../packages/cli/src/probe/exporter';
import type { ProbeReport } from '../../packages/cli/src/probe/types';
import { hasPythonModules } from '../support/gunicorn';
import { hasNginx } from '../support/nginx';
import { sumSamples } from '../support/metrics-text';
import { runCli } from './run-cli';
import { articleNginx, flaskDefault, flaskRegexCredentials, listenExpress, type TestServer } from './servers';

jest.setTimeout(60_000);
const SITE = 'https://app.example.com';

/** In CI a missing tool fails the tests; elsewhere it skips them and says why. */
function describeIf(available: boolean, what: string): jest.Describe {
  if (available || process.env.CI) return describe;
  // eslint-disable-next-line no-console
  console.warn(`skipping prober tests against ${what}: not installed (apt-get install -y nginx-light python3-flask python3-flask-cors gunicorn); CI runs them`);
  return describe.skip;
}

async function probeJson(url: string): Promise<{ report: ProbeReport; code: number | null }> {
  const r = await runCli(['probe', url, '--site-origin', SITE, '--json']);
  expect(r.stderr).toBe('');
  return { report: JSON.parse(r.stdout) as ProbeReport, code: r.code };
}

async function exporterFor(url: string): Promise<ProbeExporter> {
  const config = parseExporterConfig({ modules: { app: { siteOrigin: SITE, timeout: '5s', deadline: '20s' } }, targets: [{ url }] });
  return startExporter(config, '127.0.0.1', 0);
}

async function scrape(exporter: ProbeExporter, target: string, module = 'app'): Promise<{ status: number; text: string }> {
  const res = await fetch(`${exporter.url}/probe?${new URLSearchParams({ target, module })}`);
  return { status: res.status, text: await res.text() };
}

const classes = (r: ProbeReport, severity?: string): string[] => r.findings.filter((f) => severity === undefined || f.severity === severity).map((f) => f.class).sort();

/** The number of requests the server logged, once its log has stopped growing (gunicorn logs asynchronously). */
async function settled(server: TestServer): Promise<number> {
  let last = -1;
  for (let i = 0; i < 50 && server.requests().length !== last; i++) {
    last = server.requests().length;
    await new Promise((r) => setTimeout(r, 150));
  }
  return last;
}

/** Runs the CLI and the exporter against one server and hands both results to `check`. */
async function probeBoth(start: () => Promise<TestServer>, check: (report: ProbeReport, code: number | null, metrics: string) => void): Promise<void> {
  const server = await start();
  const exporter = await exporterFor(server.url);
  try {
    const { report, code } = await probeJson(server.url);
    const scraped = await scrape(exporter, server.url);
    expect(scraped.status).toBe(200);
    expect(sumSamples(scraped.text, 'cors_probe_success')).toBe(1);
    expect(sumSamples(scraped.text, 'cors_probe_duration_seconds')).toBeGreaterThan(0);
    // The exporter's findings are the CLI's findings.
    for (const f of report.findings) expect(sumSamples(scraped.text, 'cors_probe_findings', { class: f.class, severity: f.severity })).toBe(1);
    expect(sumSamples(scraped.text, 'cors_probe_findings')).toBe(report.findings.length);
    // It refuses a target that is not in its config, before contacting anything.
    const before = await settled(server);
    const refused = await scrape(exporter, `${server.url}?other=1`);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("not in the exporter's config");
    expect(await settled(server)).toBe(before);
    // Only the one URL was contacted, within the budget.
    const paths = server.requests();
    expect(new Set(paths)).toEqual(new Set(['/api/me']));
    expect(paths.length).toBeLessThanOrEqual(2 * 100);
    check(report, code, scraped.text);
  } finally {
    await exporter.close();
    await server.stop();
  }
}

describeIf(hasNginx(), 'nginx')('nginx configured like the article (echoes $http_origin with credentials)', () => {
  it('is high: any website reads credentialed responses; the CLI fails and the exporter says so', async () => {
    await probeBoth(articleNginx, (report, code, metrics) => {
      expect(code).toBe(1);
      expect(report.credentialedOriginReflection).toBe(true);
      const reflection = report.findings.find((f) => f.class === 'arbitrary_origin_reflected');
      expect(reflection?.severity).toBe('high');
      expect(reflection?.evidence.headers['access-control-allow-credentials']).toBe('true');
      // The narrower classes follow from the reflection and are listed on it, not repeated.
      expect(reflection?.implies).toEqual(expect.arrayContaining(['null_origin_trusted', 'prefix_match', 'suffix_match', 'third_party_origin', 'http_origin_trusted']));
      expect(classes(report)).toEqual(['arbitrary_origin_reflected', 'missing_vary_origin', 'preflight_max_age_excessive']);
      expect(report.findings.find((f) => f.class === 'missing_vary_origin')?.severity).toBe('medium');
      expect(sumSamples(metrics, 'cors_probe_credentialed_origin_reflection')).toBe(1);
      expect(sumSamples(metrics, 'cors_probe_findings', { class: 'arbitrary_origin_reflected', severity: 'high' })).toBe(1);
    });
  });
});

const flask = hasPythonModules('flask', 'flask_cors', 'gunicorn');

describeIf(flask, 'Flask-CORS under gunicorn')('Flask-CORS under gunicorn', () => {
  it('CORS(app) is info only: origins are reflected, but never with credentials', async () => {
    await probeBoth(flaskDefault, (report, code, metrics) => {
      expect(code).toBe(0);
      expect(report.credentialedOriginReflection).toBe(false);
      expect(report.findings.length).toBeGreaterThan(0);
      expect(report.findings.filter((f) => f.severity !== 'info' && f.severity !== 'low')).toEqual([]);
      expect(classes(report, 'info')).toEqual(expect.arrayContaining(['arbitrary_origin_reflected', 'public_wildcard']));
      expect(report.findings.find((f) => f.class === 'arbitrary_origin_reflected')?.explanation).toContain("without the user's cookies");
      expect(sumSamples(metrics, 'cors_probe_credentialed_origin_reflection')).toBe(0);
      expect(sumSamples(metrics, 'cors_probe_findings', { severity: 'high' }) + sumSamples(metrics, 'cors_probe_findings', { severity: 'medium' })).toBe(0);
    });
  });

  it('origins=[r".*example.com"] with supports_credentials=True is high: prefix and suffix matches', async () => {
    await probeBoth(flaskRegexCredentials, (report, code, metrics) => {
      expect(code).toBe(1);
      // Not any origin: the regex needs "example" + one character + "com" somewhere.
      expect(classes(report)).not.toContain('arbitrary_origin_reflected');
      expect(classes(report, 'high')).toEqual(expect.arrayContaining(['prefix_match', 'suffix_match', 'unescaped_dot', 'post_domain']));
      expect(report.findings.find((f) => f.class === 'suffix_match')?.evidence.origin).toBe('https://cors-probeexample.com');
      expect(report.credentialedOriginReflection).toBe(true);
      expect(sumSamples(metrics, 'cors_probe_credentialed_origin_reflection')).toBe(1);
      expect(sumSamples(metrics, 'cors_probe_findings', { class: 'prefix_match', severity: 'high' })).toBe(1);
    });
  });
});

describe('Express', () => {
  it('with cors({ origin: true, credentials: true }) is high', async () => {
    const start = (): Promise<TestServer> => {
      const app = express();
      return listenExpress(app, (paths) => {
        app.use((req, _res, next) => (paths.push(req.originalUrl), next()));
        app.use(cors({ origin: true, credentials: true }));
        app.get('/api/me', (_req, res) => void res.json({ user: 'alice' }));
      });
    };
    await probeBoth(start, (report, code, metrics) => {
      expect(code).toBe(1);
      expect(report.findings.find((f) => f.class === 'arbitrary_origin_reflected')?.severity).toBe('high');
      // `cors` sets Vary: Origin, so there is no cache-poisoning finding.
      expect(classes(report)).not.toContain('missing_vary_origin');
      expect(sumSamples(metrics, 'cors_probe_credentialed_origin_reflection')).toBe(1);
    });
  });

  it('with cors-sentinel and a strict policy has no findings', async () => {
    const start = (): Promise<TestServer> => {
      const app = express();
      return listenExpress(app, (paths) => {
        app.use((req, _res, next) => (paths.push(req.originalUrl), next()));
        app.use(corsSentinel({ origins: [SITE], credentials: true, methods: ['GET', 'POST'], allowedHeaders: ['content-type'], maxAge: 600, logger: false, metrics: { registry: new Registry() } }));
        app.get('/api/me', (_req, res) => void res.json({ user: 'alice' }));
      });
    };
    await probeBoth(start, (report, code, metrics) => {
      expect(report.findings).toEqual([]);
      expect(code).toBe(0);
      expect(report.credentialedOriginReflection).toBe(false);
      expect(sumSamples(metrics, 'cors_probe_findings')).toBe(0);
      expect(sumSamples(metrics, 'cors_probe_credentialed_origin_reflection')).toBe(0);
    });
  });
});
