/**
 * `cors-sentinel probe --serve`: a blackbox_exporter-style HTTP server. GET /probe?target=URL&module=NAME
 * runs one probe against a target listed in the config and answers with that probe's own registry.
 * A target or module that is not in the config is refused (403/400) before anything is contacted.
 * Probes are scheduled by ProbeScheduler: concurrent scrapes of one target and module share a probe,
 * a probe whose scrapers all left is cancelled, and at most `maxConcurrentProbes` probes run at once,
 * `maxConcurrentProbesPerTarget` of them for one target (429 beyond).
 */
import http from 'node:http';
import { Counter, Registry } from 'prom-client';
import { nodeRoutingPath } from 'cors-sentinel/internal/http/routing-path';
import { listen } from '../cli-args';
import { normaliseTarget, type ExporterConfig, type ProbeModule } from './config';
import { ProbeFailure } from './http';
import { probeRegistry } from './metrics';
import { PROBE_DEFAULTS, runProbe } from './probe';
import { ProbeScheduler } from './scheduler';

export interface ProbeExporter {
  readonly server: http.Server;
  readonly url: string;
  close(): Promise<void>;
}

const RESULTS = ['success', 'failure', 'refused'] as const;

export async function startExporter(config: ExporterConfig, host: string, port: number): Promise<ProbeExporter> {
  const own = new Registry();
  const probes = new Counter({ name: 'cors_probe_exporter_probes_total', help: 'Probe requests handled by the exporter, by result.', labelNames: ['result'], registers: [own] });
  for (const result of RESULTS) probes.inc({ result }, 0);
  const joined = new Counter({ name: 'cors_probe_exporter_coalesced_total', help: 'Scrapes answered by a probe of the same target and module that was already running.', registers: [own] });
  const cancelled = new Counter({ name: 'cors_probe_exporter_cancelled_total', help: 'Probes cancelled because every scrape waiting for them had gone.', registers: [own] });
  const scheduler = new ProbeScheduler(config, () => cancelled.inc());

  const server = http.createServer((req, res) => {
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      if (!res.destroyed) res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    };
    // The routing-path contract: a target no router could read (`GET http://[`) is a 400, never a throw.
    const requestTarget = req.url ?? '/';
    const path = nodeRoutingPath(requestTarget);
    if (path === undefined) return reply(400, 'bad request target\n');
    const url = { pathname: path, searchParams: new URLSearchParams(/\?([^#]*)/.exec(requestTarget)?.[1] ?? '') };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'only GET\n');
    if (url.pathname === '/metrics') return void own.metrics().then((text) => reply(200, text, own.contentType));
    if (url.pathname !== '/probe') return reply(url.pathname === '/' ? 200 : 404, 'cors-sentinel probe exporter: GET /probe?target=URL&module=NAME (targets and modules from its config), GET /metrics\n');
    const moduleName = url.searchParams.get('module');
    const refusal = checkRequest(config, url.searchParams.get('target'), moduleName);
    if (refusal) {
      probes.inc({ result: 'refused' });
      return reply(refusal.status, `${refusal.message}\n`);
    }
    const target = normaliseTarget(url.searchParams.get('target') as string) as string;
    const module = config.modules.get(moduleName as string);
    const scrapeMs = scrapeDeadline(req.headers['x-prometheus-scrape-timeout-seconds']);
    const ticket = scheduler.request(target, moduleName as string, (signal) => probeOnce(target, module, scrapeMs, signal));
    if (ticket.kind === 'busy') {
      probes.inc({ result: 'refused' });
      return reply(429, `${ticket.message}\n`);
    }
    if (ticket.kind === 'joined') joined.inc();
    res.once('close', () => {
      if (!res.writableFinished) ticket.leave();
    });
    void ticket.result
      .then(async (registry) => {
        probes.inc({ result: (await registry.getSingleMetricAsString('cors_probe_success')).endsWith(' 1') ? 'success' : 'failure' });
        reply(200, await registry.metrics(), registry.contentType);
      })
      .catch((err: unknown) => reply(500, `probe error: ${(err as Error).message}\n`));
  });
  const url = await listen(server, { host, port }, '--serve');
  return { server, url, close: () => new Promise((resolve) => server.close(() => resolve())) };
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

/** The first scraper's timeout bounds a shared probe: the others joined while it ran. */
async function probeOnce(target: string, module: ProbeModule | undefined, scrapeMs: number | undefined, signal: AbortSignal): Promise<Registry> {
  const started = Date.now();
  const deadlineMs = Math.min(module?.deadlineMs ?? PROBE_DEFAULTS.deadlineMs, scrapeMs ?? Infinity);
  try {
    return probeRegistry({ report: await runProbe({ ...module, url: target, deadlineMs, signal }) });
  } catch (err) {
    if (!(err instanceof ProbeFailure)) throw err;
    return probeRegistry({ failure: err.reason, durationSeconds: (Date.now() - started) / 1000 });
  }
}
