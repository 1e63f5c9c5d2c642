/** `cors-sentinel traffic`: the demo's traffic simulator against any API (used by the compose stack). */
import { parseArgs } from 'node:util';
import { onShutdown, UsageError } from '../cli-args';
import { runTraffic, type TrafficProfile } from './traffic';

const HELP = `usage: cors-sentinel traffic --target http://127.0.0.1:3000 [--rate 20] [--profile normal|attack] [--duration-ms N]

Environment: TRAFFIC_TARGET, TRAFFIC_RATE, TRAFFIC_PROFILE.`;

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: 'string', default: process.env.TRAFFIC_TARGET },
      rate: { type: 'string', default: process.env.TRAFFIC_RATE ?? '20' },
      profile: { type: 'string', default: process.env.TRAFFIC_PROFILE ?? 'normal' },
      'duration-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || !values.target) {
    console.log(HELP);
    if (!values.help) process.exitCode = 2;
    return;
  }
  const profile = values.profile as TrafficProfile;
  if (profile !== 'normal' && profile !== 'attack') throw new UsageError('traffic: --profile must be normal or attack');
  const abort = new AbortController();
  onShutdown(() => abort.abort());
  console.log(`sending ${values.profile} traffic to ${values.target} at ${values.rate} scenarios/s`);
  const stats = await runTraffic({
    target: values.target,
    rate: Number(values.rate),
    profile,
    durationMs: values['duration-ms'] === undefined ? undefined : Number(values['duration-ms']),
    signal: abort.signal,
  });
  console.log(JSON.stringify(stats));
}
