/**
 * The exported Caddyfile, run by the real Caddy 2.6 in front of a real upstream, answers every
 * equivalence vector exactly as the middleware with the same policy. The one documented difference:
 * Go's HTTP server writes header fields sorted by name, so the order of the CORS headers is not compared.
 */
import { join } from 'node:path';
import { edgeSuite, runsClean } from './edge-suite';

const config = (dir: string): string[] => ['--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'];

edgeSuite({
  target: 'caddy',
  launch: (dir) => ({ command: 'caddy', args: ['run', ...config(dir)] }),
  check: (dir) => runsClean('caddy', ['validate', ...config(dir)]),
  seesPresence: true,
  ownHeaderOrder: true,
});
