/**
 * `cors-sentinel probe URL [options]` and `cors-sentinel probe --serve HOST:PORT --config FILE`.
 * Exit codes: 0 no finding at or above --fail-on; 1 such a finding; 2 bad usage or config;
 * 3 the target could not be probed (DNS, TLS, connection, timeout); 4 inconclusive (no actual
 * request could be judged, and no finding at or above --fail-on).
 */
import { parseArgs } from 'node:util';
import { onShutdown, parseListen } from '../cli-args';
import { SEVERITIES, severityRank, type Severity } from './classes';
import { loadExporterConfig, parseDuration, ProbeConfigError } from './config';
import { startExporter } from './exporter';
import { formatHuman } from './format/human';
import { formatJson } from './format/json';
import { formatSarif } from './format/sarif';
import { ProbeFailure } from './http';
import { PROBE_DEFAULTS, ProbeOptionsError, runProbe } from './probe';
import { parseHeaderLine, readHeaderSources, type SentHeader } from './session';
import { readProbeKeyFile } from 'cors-sentinel/internal/http/probe-signature';

const HELP = `usage: cors-sentinel probe URL [--site-origin ORIGIN] [--method M] [--header NAME]...
                           [--header 'Name: value']... [--header-file FILE] [--header-env VAR]
                           [--method POST --data BODY [--content-type TYPE]]
                           [--json | --sarif] [--fail-on high|medium|low|info|none]
                           [--timeout 5s] [--deadline 30s] [--budget ${PROBE_DEFAULTS.budget}] [--insecure]
                           [--key-file FILE]
       cors-sentinel probe --serve 127.0.0.1:9465 --config probe.yml

Sends the origin mutations that CORS scanners use (reflection, null, prefix/suffix/substring,
unescaped dots, subdomain shapes, special characters, http, third-party hosts) to URL as actual
requests (GET, or HEAD) and as preflights, and grades each finding by what an attacker can do end
to end. Only URL is contacted, never a redirect target; --method and --header NAME are asked for in
preflights, never sent for real.

  --site-origin   origin of the real frontend (default: the URL's own origin)
  --method        method the frontend uses (Access-Control-Request-Method), default GET
  --data          with --method POST only: actual requests become POSTs with this harmless body
                  (opt-in; never by default); --content-type: form (default), multipart or text/plain
  --header NAME   request header the frontend sends, asked for in preflights (repeatable)
  --header 'Name: value'  sent with actual requests (a session: Cookie, Authorization); also
                  --header-file FILE and --header-env VAR ("Name: value" lines) to keep secrets out
                  of shell history. Values are redacted in all output; never sent anywhere but URL
  --json/--sarif  machine-readable output (default: human-readable)
  --fail-on       exit 1 when a finding has this severity or worse (default high; none: never)
  --timeout       per-request timeout (default ${PROBE_DEFAULTS.timeoutMs / 1000}s); --deadline bounds the whole probe
  --budget        most requests to send (default ${PROBE_DEFAULTS.budget}); later checks are skipped
  --attacker-domain  domain for attacker origins (default attacker.invalid; never contacted)
  --insecure      accept certificates this machine does not trust (staging hosts)
  --key-file FILE sign every request (CORS-Sentinel-Probe header) with the key the target holds as
                  probeKey / --probe-key-file: it then counts the probe apart, not as an attack

  --serve HOST:PORT --config FILE   run the /probe exporter (see docs/prober.md)

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage, 3 target unreachable,
4 inconclusive (every actual request failed without CORS headers: the output says what to try).`;

export async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'site-origin': { type: 'string' },
        method: { type: 'string' },
        header: { type: 'string', multiple: true },
        'header-file': { type: 'string' },
        'header-env': { type: 'string' },
        data: { type: 'string' },
        'content-type': { type: 'string' },
        json: { type: 'boolean', default: false },
        sarif: { type: 'boolean', default: false },
        'fail-on': { type: 'string', default: 'high' },
        timeout: { type: 'string' },
        deadline: { type: 'string' },
        budget: { type: 'string' },
        'attacker-domain': { type: 'string' },
        insecure: { type: 'boolean', default: false },
        'key-file': { type: 'string' },
        serve: { type: 'string' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    return usageError((err as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help) return void console.log(HELP);
  if (v.serve !== undefined) return serve(v.serve, v.config);
  if (positionals.length !== 1) return usageError('give exactly one URL to probe');
  const failOn = v['fail-on'];
  if (failOn !== 'none' && !(SEVERITIES as readonly string[]).includes(failOn)) return usageError(`--fail-on must be one of ${SEVERITIES.join(', ')} or none`);
  if (v.json && v.sarif) return usageError('choose one of --json and --sarif');
  const ms = (flag: string, value: string | undefined): number | undefined | null => (value === undefined ? undefined : (parseDuration(value) ?? null));
  const timeoutMs = ms('timeout', v.timeout);
  const deadlineMs = ms('deadline', v.deadline);
  if (timeoutMs === null || deadlineMs === null) return usageError('--timeout and --deadline take durations such as 500ms, 5s or 1m');
  const session = sessionHeaders(v.header ?? [], v['header-file'], v['header-env']);
  if (session.problems.length > 0) return usageError(session.problems.join('\n  '));
  let probeKey: Buffer | undefined;
  try {
    probeKey = v['key-file'] === undefined ? undefined : readProbeKeyFile(v['key-file']);
  } catch (err) {
    return usageError(`--key-file: ${(err as Error).message}`);
  }
  try {
    const report = await runProbe({
      url: positionals[0] as string,
      siteOrigin: v['site-origin'],
      method: v.method,
      headers: session.asked,
      sendHeaders: session.send,
      body: v.data,
      contentType: v['content-type'],
      timeoutMs,
      deadlineMs,
      budget: v.budget === undefined ? undefined : Number(v.budget),
      attackerDomain: v['attacker-domain'],
      insecure: v.insecure,
      ...(probeKey !== undefined ? { probeKey } : {}),
    });
    process.stdout.write(v.json ? formatJson(report) : v.sarif ? formatSarif(report) : formatHuman(report));
    if (failOn !== 'none' && report.findings.some((f) => severityRank(f.severity) >= severityRank(failOn as Severity))) process.exitCode = 1;
    else if (report.verdict === 'inconclusive') process.exitCode = 4;
  } catch (err) {
    if (err instanceof ProbeOptionsError) return usageError(err.message);
    if (err instanceof ProbeFailure) {
      console.error(`cors-sentinel probe: ${err.reason} failure: ${err.message}`);
      process.exitCode = 3;
      return;
    }
    throw err;
  }
}

async function serve(listen: string, configFile: string | undefined): Promise<void> {
  if (!configFile) return usageError('--serve needs --config FILE: the modules and the only targets the exporter may probe');
  let where: { host: string; port: number };
  try {
    where = parseListen(listen, '--serve');
  } catch (err) {
    return usageError((err as Error).message);
  }
  let config;
  try {
    config = loadExporterConfig(configFile);
  } catch (err) {
    if (err instanceof ProbeConfigError) return usageError(err.message);
    throw err;
  }
  const exporter = await startExporter(config, where.host, where.port);
  console.log(`cors-sentinel probe exporter listening on ${exporter.url} (${config.targets.length} targets, modules: ${[...config.modules.keys()].join(', ')})`);
  const stop = (): void => void exporter.close().then(() => process.exit(0));
  onShutdown(stop);
}

/**
 * `--header NAME` asks for NAME in preflights; `--header 'Name: value'` (a colon: header names have
 * none) is sent with actual requests, like the lines of --header-file and --header-env.
 */
function sessionHeaders(flags: readonly string[], file: string | undefined, envVar: string | undefined): { asked: string[]; send: SentHeader[]; problems: string[] } {
  const asked: string[] = [];
  const send: SentHeader[] = [];
  const problems: string[] = [];
  for (const flag of flags) {
    const parsed = flag.includes(':') ? parseHeaderLine(flag) : undefined;
    if (parsed) send.push(parsed);
    else if (flag.includes(':')) problems.push('--header with a colon must be "Name: value" (the value is not shown)');
    else asked.push(flag);
  }
  const read = readHeaderSources(file, envVar, (kind) => (kind === 'file' ? '--header-file' : '--header-env'));
  send.push(...read.headers);
  problems.push(...read.problems);
  return { asked, send, problems };
}

function usageError(message: string): void {
  console.error(`cors-sentinel probe: ${message}\n\nRun cors-sentinel probe --help for usage.`);
  process.exitCode = 2;
}
