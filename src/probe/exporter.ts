/**
 * `cors-sentinel probe --serve`: a blackbox_exporter-style HTTP server. GET /probe?target=URL&module=NAME
 * runs one probe against a target listed in the config and answers with that probe's own registry.
 * A target or module that is not in the config is refused (403/400) before anything is contacted,
 * and at most `maxConcurrentProbes` probes run at once (429 beyond).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { normaliseTarget, type ExporterConfig, type ProbeModule } from './config';
import { ProbeFailure } from './http';
import { probeRegistry } from './metrics';
import { PROBE_DEFAULTS, runProbe } from './probe';

export interface ProbeExporter {
  readonly server: http.Server;
  readonly url: string;
  close(): Promise<void>;
}

const RESULTS = ['success', 'failure', 'refused'] as const;

/** The request target against a placeholder base; undefined when the URL parser rejects it. */
function requestUrl(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://exporter.invalid');
  } catch {
    return undefined;
  }
}

export async function startExporter(config: ExporterConfig, host: string, port: number): Promise<ProbeExporter> {
  const own = new Registry();
  const probes = new Counter({ name: 'cors_probe_exporter_probes_total', help: 'Probe requests handled by the exporter, by result.', labelNames: ['result'], registers: [own] });
  for (const result of RESULTS) probes.inc({ result }, 0);
  let running = 0;

  const server = http.createServer((req, res) => {
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'only GET\n');
    const url = requestUrl(req.url);
    // A target the URL parser rejects (`GET http://[ HTTP/1.1`) threw here and ended the exporter.
    if (url === undefined) return reply(400, 'unparseable request target\n');
    if (url.pathname === '/metrics') return void own.metrics().then((text) => reply(200, text, own.contentType));
    if (url.pathname !== '/probe') return reply(url.pathname === '/' ? 200 : 404, 'cors-sentinel probe exporter: GET /probe?target=URL&module=NAME (targets and modules from its config), GET /metrics\n');
    const refusal = checkRequest(config, url.searchParams.get('target'), url.searchParams.get('module'));
    if (refusal) {
      probes.inc({ result: 'refused' });
      return reply(refusal.status, `${refusal.message}\n`);
    }
    if (running >= config.maxConcurrentProbes) {
      probes.inc({ result: 'refused' });
      return reply(429, `too many probes at once (maxConcurrentProbes ${config.maxConcurrentProbes}): lower the scrape frequency or raise the limit\n`);
    }
    running++;
    const target = normaliseTarget(url.searchParams.get('target') as string) as string;
    const module = config.modules.get(url.searchParams.get('module') as string);
    void probeOnce(target, module, scrapeDeadline(req.headers['x-prometheus-scrape-timeout-seconds']))
      .then(async (registry) => {
        probes.inc({ result: (await registry.getSingleMetricAsString('cors_probe_success')).endsWith(' 1') ? 'success' : 'failure' });
        reply(200, await registry.metrics(), registry.contentType);
      })
      .catch((err: unknown) => reply(500, `probe error: ${(err as Error).message}\n`))
      .finally(() => running--);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, url: `http://${shown}:${address.port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function checkRequest(config: ExporterConfig, target: string | null, moduleName: string | null): { status: number; message: string } | undefined {
  if (!moduleName || !config.modules.has(moduleName)) return { status: 400, message: `unknown module ${JSON.stringify(moduleName ?? '')}: use one of ${[...config.modules.keys()].join(', ')}` };
  const normalised = target ? normaliseTarget(target) : undefined;
  const entry = normalised === undefined ? undefined : config.targets.find((t) => t.url === normalised);
  if (!entry) return { status: 403, message: `target ${JSON.stringify(target ?? '')} is not in the exporter's config: only listed targets are probed` };
  if (!entry.modules.includes(moduleName)) return { status: 403, message: `target ${normalised} may not be probed with module ${moduleName} (allowed: ${entry.modules.join(', ')})` };
  return undefined;
}

/** Finish within Prometheus's scrape timeout, leaving a quarter of it (at most 0.5 s) for the answer to travel back. */
function scrapeDeadline(header: string | string[] | undefined): number | undefined {
  const ms = Number(Array.isArray(header) ? header[0] : header) * 1000;
  return Number.isFinite(ms) && ms > 0 ? Math.max(1, Math.floor(ms - Math.min(500, ms / 4))) : undefined;
}

async function probeOnce(target: string, module: ProbeModule | undefined, scrapeMs: number | undefined): Promise<Registry> {
  const started = Date.now();
  const deadlineMs = Math.min(module?.deadlineMs ?? PROBE_DEFAULTS.deadlineMs, scrapeMs ?? Infinity);
  try {
    return probeRegistry({ report: await runProbe({ ...module, url: target, deadlineMs }) });
  } catch (err) {
    if (!(err instanceof ProbeFailure)) throw err;
    return probeRegistry({ failure: err.reason, durationSeconds: (Date.now() - started) / 1000 });
  }
}
