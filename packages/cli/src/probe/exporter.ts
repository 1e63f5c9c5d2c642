/**
 * `cors-sentinel probe --serve`: a blackbox_exporter-style HTTP server. GET /probe?target=URL&module=NAME
 * runs one probe against a target listed in the config and answers with that probe's own registry.
 * A target or module that is not in the config is refused (403/400) before anything is contacted.
 * Probes are scheduled by ProbeScheduler: concurrent scrapes of one target and module share a probe,
 * a probe whose scrapers all left is cancelled, and at most `maxConcurrentProbes` probes run at once,
 * `maxConcurrentProbesPerTarget` of them for one target (429 beyond).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Counter, Registry } from 'prom-client';
import { closeAdmin, createAdminListener, type AdminRoute } from 'cors-sentinel/internal/metrics/admin-listener';
import { listen } from '../cli-args';
import { normaliseTarget, type ExporterConfig, type ProbeModule } from './config';
import { ProbeFailure } from './http';
import { probeRegistry } from './metrics';
import { PROBE_DEFAULTS, runProbe } from './probe';
import { ProbeScheduler } from './scheduler';

export interface ProbeExporter {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

const RESULTS = ['success', 'failure', 'refused'] as const;
const USAGE = 'cors-sentinel probe exporter: GET /probe?target=URL&module=NAME (targets and modules from its config), GET /metrics\n';

function reply(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  if (!res.destroyed) res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}

function onlyGet(route: AdminRoute): AdminRoute {
  return (req, res, path) => (req.method === 'GET' || req.method === 'HEAD' ? route(req, res, path) : reply(res, 405, 'only GET\n'));
}

export async function startExporter(config: ExporterConfig, host: string, port: number): Promise<ProbeExporter> {
  const own = new Registry();
  const probes = new Counter({ name: 'cors_probe_exporter_probes_total', help: 'Probe requests handled by the exporter, by result.', labelNames: ['result'], registers: [own] });
  for (const result of RESULTS) probes.inc({ result }, 0);
  const joined = new Counter({ name: 'cors_probe_exporter_coalesced_total', help: 'Scrapes answered by a probe of the same target and module that was already running.', registers: [own] });
  const cancelled = new Counter({ name: 'cors_probe_exporter_cancelled_total', help: 'Probes cancelled because every scrape waiting for them had gone.', registers: [own] });
  const scheduler = new ProbeScheduler(config, () => cancelled.inc());

  const counters = { probes, joined };
  // Every path answers GET and HEAD only; a target no router could read (`GET http://[`) is a 400, never a throw.
  const server = createAdminListener({
    unroutable: (_req, res) => reply(res, 400, 'bad request target\n'),
    routes: {
      '/metrics': onlyGet((_req, res) => void own.metrics().then((text) => reply(res, 200, text, own.contentType))),
      '/probe': onlyGet((req, res) => answerProbe(config, scheduler, counters, req, res)),
    },
    notFound: onlyGet((_req, res, path) => reply(res, path === '/' ? 200 : 404, USAGE)),
  });
  const url = await listen(server, { host, port }, '--serve');
  return { server, url, close: () => closeAdmin(server) };
}

/** GET /probe?target=URL&module=NAME: refuse what the config does not list, else run (or join) the probe. */
function answerProbe(config: ExporterConfig, scheduler: ProbeScheduler, counters: { probes: Counter; joined: Counter }, req: IncomingMessage, res: ServerResponse): void {
  const searchParams = new URLSearchParams(/\?([^#]*)/.exec(req.url ?? '/')?.[1] ?? '');
  const moduleName = searchParams.get('module');
  const refusal = checkRequest(config, searchParams.get('target'), moduleName);
  if (refusal) {
    counters.probes.inc({ result: 'refused' });
    return reply(res, refusal.status, `${refusal.message}\n`);
  }
  const target = normaliseTarget(searchParams.get('target') as string) as string;
  const module = config.modules.get(moduleName as string);
  const scrapeMs = scrapeDeadline(req.headers['x-prometheus-scrape-timeout-seconds']);
  const ticket = scheduler.request(target, moduleName as string, (signal) => probeOnce(target, module, scrapeMs, signal));
  if (ticket.kind === 'busy') {
    counters.probes.inc({ result: 'refused' });
    return reply(res, 429, `${ticket.message}\n`);
  }
  if (ticket.kind === 'joined') counters.joined.inc();
  res.once('close', () => {
    if (!res.writableFinished) ticket.leave();
  });
  void ticket.result
    .then(async (registry) => {
      counters.probes.inc({ result: (await registry.getSingleMetricAsString('cors_probe_success')).endsWith(' 1') ? 'success' : 'failure' });
      reply(res, 200, await registry.metrics(), registry.contentType);
    })
    .catch((err: unknown) => reply(res, 500, `probe error: ${(err as Error).message}\n`));
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
