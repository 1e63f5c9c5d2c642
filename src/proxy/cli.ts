/**
 * `cors-sentinel proxy --policy policy.yaml --upstream http://127.0.0.1:5000 --listen 127.0.0.1:8080
 *   [--mode enforce|observe] [--metrics-listen 127.0.0.1:9464]`
 */
import { parseArgs } from 'node:util';
import { listen, parseListen, positiveInt, UsageError } from '../cli-args';
import { loadPolicyFile } from '../policy/file';
import { createCorsProxy, parseUpstream } from './proxy';

const USAGE = `usage: cors-sentinel proxy --policy FILE --upstream URL [options]

  --policy FILE              policy file (JSON or YAML, the options of corsSentinel())
  --upstream URL             the backend, http://host:port
  --listen HOST:PORT         where the proxy listens (default 127.0.0.1:8080)
  --mode enforce|observe     enforce the policy, or audit the backend's own CORS answers (default enforce)
  --metrics-listen HOST:PORT /metrics and /healthz on their own listener (default: none)
  --connect-timeout-ms N     upstream connect timeout, then 504 (default 5000)
  --response-timeout-ms N    time to the backend's response head, then 504 (default 60000)
  --drain-timeout-ms N       graceful-shutdown limit on SIGTERM (default 25000)

Set METRICS_BEARER_TOKEN to require a bearer token on /metrics.`;

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      policy: { type: 'string' }, upstream: { type: 'string' }, listen: { type: 'string' }, mode: { type: 'string' },
      'metrics-listen': { type: 'string' }, 'connect-timeout-ms': { type: 'string' }, 'response-timeout-ms': { type: 'string' },
      'drain-timeout-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void console.log(USAGE);
  const problems: string[] = [];
  if (values.policy === undefined) problems.push('--policy FILE is required');
  if (values.upstream === undefined) problems.push('--upstream URL is required (e.g. http://127.0.0.1:5000)');
  const mode = values.mode ?? 'enforce';
  if (mode !== 'enforce' && mode !== 'observe') problems.push(`--mode ${JSON.stringify(mode)}: use enforce or observe`);
  if (problems.length > 0) throw new UsageError(`cors-sentinel proxy:\n  ${problems.join('\n  ')}\n\n${USAGE}`);
  parseUpstream(values.upstream as string); // before the policy file is read: a usage error first

  const token = process.env.METRICS_BEARER_TOKEN;
  const proxy = createCorsProxy({
    upstream: values.upstream as string,
    policy: loadPolicyFile(values.policy as string),
    mode: mode as 'enforce' | 'observe',
    connectTimeoutMs: positiveInt(values['connect-timeout-ms'], '--connect-timeout-ms', 5_000),
    responseTimeoutMs: positiveInt(values['response-timeout-ms'], '--response-timeout-ms', 60_000),
    drainTimeoutMs: positiveInt(values['drain-timeout-ms'], '--drain-timeout-ms', 25_000),
    ...(token ? { metricsAuth: { bearerToken: token } } : {}),
  });
  const at = await listen(proxy.server, parseListen(values.listen ?? '127.0.0.1:8080', '--listen'));
  console.log(`cors-sentinel proxy (${mode}) listening on ${at} → ${values.upstream}`);
  if (values['metrics-listen'] !== undefined) {
    console.log(`cors-sentinel proxy metrics on ${await listen(proxy.admin, parseListen(values['metrics-listen'], '--metrics-listen'))}/metrics`);
  }
  const stop = (signal: string): void => {
    console.log(`cors-sentinel proxy: ${signal}, draining`);
    proxy.shutdown().then(
      () => {
        console.log('cors-sentinel proxy: stopped');
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
