/**
 * `cors-sentinel proxy --policy policy.yaml --upstream http://127.0.0.1:5000 --listen 127.0.0.1:8080
 *   [--mode enforce|observe] [--metrics-listen 127.0.0.1:9464] [--otlp-endpoint URL]`
 */
import { parseArgs } from 'node:util';
import { bearerTokenFromEnv, listen, nonNegativeInt, onShutdown, parseListen, probeKeyFlag, UsageError } from '../cli-args';
import { loadPolicyFile } from 'cors-sentinel/internal/policy/file';
import { parseBackendArgument, resolveBackendProfile, type BackendProfileOption } from './backend-profile';
import { createCorsProxy, parseUpstream, PROXY_DEFAULTS, type CorsProxyOptions } from './proxy';
import { otlpUsage, otlpSettings, startOtlpExport } from '../otlp/export';
import { evidenceFlag } from '../evidence-flag';

/** The numeric flags: flag, option, what it does. Which accept 0 is createCorsProxy()'s to say. */
const NUMERIC_FLAGS = [
  ['--connect-timeout-ms', 'connectTimeoutMs', 'upstream connect timeout, then 504'],
  ['--response-timeout-ms', 'responseTimeoutMs', "time to the backend's response head, then 504"],
  ['--drain-timeout-ms', 'drainTimeoutMs', 'graceful-shutdown limit on SIGTERM'],
  ['--headers-timeout-ms', 'headersTimeoutMs', 'time to receive a request head (slowloris), then 408'],
  ['--request-timeout-ms', 'requestTimeoutMs', 'time to receive a whole request, then 408 (0: none)'],
  ['--client-body-buffer-bytes', 'clientBodyBufferBytes', 'bodies up to this size are read whole before the backend is contacted'],
  ['--client-body-timeout-ms', 'clientBodyTimeoutMs', 'longest silence in a request body, and the grace before the minimum rate; then 408'],
  ['--client-body-min-rate', 'clientBodyMinBytesPerSecond', 'minimum bytes/s of a request body after the grace, then 408 (0: none)'],
  ['--max-requests-per-client', 'maxRequestsPerClient', 'requests in flight per client address, then 429 (0: no cap)'],
  ['--upstream-connections', 'upstreamConnections', 'keep-alive connections to the backend'],
  ['--upstream-queue-timeout-ms', 'upstreamQueueTimeoutMs', 'longest wait for a free upstream connection, then 503'],
] as const satisfies ReadonlyArray<readonly [string, keyof typeof PROXY_DEFAULTS, string]>;

const USAGE = `usage: cors-sentinel proxy --policy FILE --upstream URL [options]

  --policy FILE                  policy file (JSON or YAML, the options of corsSentinel())
  --upstream URL                 the backend, http://host:port
  --listen HOST:PORT             where the proxy listens (default 127.0.0.1:8080)
  --mode enforce|observe         enforce the policy, or audit the backend's own CORS answers (default enforce)
  --backend NAME[,k=v…]          how the backend reads paths before routing: werkzeug (default: Flask under
                                 gunicorn), django, rails, go, nginx, strict; e.g. werkzeug,dotSegments=resolve
  --metrics-listen HOST:PORT     /metrics and /healthz on their own listener (default: none)
${otlpUsage(33)}
  --evidence FILE                record the evidence ledger (docs/evidence.md) for cors-sentinel suggest: merged
                                 with FILE if it exists, written atomically every minute and on shutdown
  --probe-key-file FILE          key shared with \`cors-sentinel probe --key-file\`: signed probes are counted
                                 apart, not as attacks (docs/prober.md#signed-probes)
${NUMERIC_FLAGS.map(([flag, key, what]) => `  ${`${flag} N`.padEnd(30)} ${what} (default ${PROXY_DEFAULTS[key]})`).join('\n')}

Set METRICS_BEARER_TOKEN to require a bearer token on /metrics (set but empty is an error).`;

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      policy: { type: 'string' }, upstream: { type: 'string' }, listen: { type: 'string' }, mode: { type: 'string' }, backend: { type: 'string' },
      'metrics-listen': { type: 'string' }, 'otlp-endpoint': { type: 'string' }, evidence: { type: 'string' }, 'probe-key-file': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(NUMERIC_FLAGS.map(([flag]) => [flag.slice(2), { type: 'string' as const }])),
    },
  });
  if (values.help) return void console.log(USAGE);
  const problems: string[] = [];
  if (values.policy === undefined) problems.push('--policy FILE is required');
  if (values.upstream === undefined) problems.push('--upstream URL is required (e.g. http://127.0.0.1:5000)');
  const mode = values.mode ?? 'enforce';
  if (mode !== 'enforce' && mode !== 'observe') problems.push(`--mode ${JSON.stringify(mode)}: use enforce or observe`);
  let backend: BackendProfileOption | undefined;
  try {
    if (values.backend !== undefined) {
      backend = parseBackendArgument(values.backend);
      resolveBackendProfile(backend); // refused here, with the other usage problems
    }
  } catch (err) {
    problems.push((err as Error).message.replace(/^cors-sentinel proxy: /, ''));
  }
  const probeKey = probeKeyFlag(values['probe-key-file'], problems);
  if (problems.length > 0) throw new UsageError(`cors-sentinel proxy:\n  ${problems.join('\n  ')}\n\n${USAGE}`);
  parseUpstream(values.upstream as string); // before the policy file is read: a usage error first
  const otlpExport = otlpSettings(values['otlp-endpoint'], 'proxy');

  const metricsAuth = bearerTokenFromEnv('METRICS_BEARER_TOKEN', 'proxy');
  const evidence = evidenceFlag(values.evidence, 'proxy');
  const policy = loadPolicyFile(values.policy as string);
  const proxy = createCorsProxy({
    upstream: values.upstream as string,
    policy: { ...policy, ...(evidence ? { evidence } : {}), ...(probeKey !== undefined ? { probeKey } : {}) },
    mode: mode as 'enforce' | 'observe',
    ...(backend !== undefined ? { backend } : {}),
    ...numericOptions(values as Record<string, string | undefined>),
    ...(metricsAuth ? { metricsAuth } : {}),
  });
  // Both addresses are checked before either is announced; a failure exits (src/cli.ts) with its flag.
  const at = await listen(proxy.server, parseListen(values.listen ?? '127.0.0.1:8080', '--listen'), '--listen');
  const metricsAt = values['metrics-listen'] === undefined ? undefined : await listen(proxy.admin, parseListen(values['metrics-listen'], '--metrics-listen'), '--metrics-listen');
  console.log(`cors-sentinel proxy (${mode}) listening on ${at} → ${values.upstream}`);
  if (metricsAt !== undefined) console.log(`cors-sentinel proxy metrics on ${metricsAt}/metrics`);
  const otlp = otlpExport === undefined ? undefined : startOtlpExport(proxy.registry, otlpExport, 'proxy');
  const stop = (signal: string): void => {
    console.log(`cors-sentinel proxy: ${signal}, draining`);
    // The last OTLP export after the drain, so that it holds the drained requests too.
    proxy.shutdown().then(() => otlp?.shutdown()).then(
      () => {
        console.log('cors-sentinel proxy: stopped');
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  onShutdown(stop);
}

function numericOptions(values: Record<string, string | undefined>): Partial<CorsProxyOptions> {
  const out: Record<string, number> = {};
  for (const [flag, key] of NUMERIC_FLAGS) out[key] = nonNegativeInt(values[flag.slice(2)], flag, PROXY_DEFAULTS[key]);
  return out;
}
