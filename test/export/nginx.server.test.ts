/**
 * The exported nginx config, run by the real nginx 1.22 in front of a real upstream, answers every
 * equivalence vector exactly as the middleware with the same policy: status, body, every
 * Access-Control-* header and Vary, in the same order.
 */
import { join } from 'node:path';
import { compare } from './edges';
import { edgeSuite, runsClean } from './edge-suite';

const launch = (dir: string): { command: string; args: string[] } => ({
  command: 'nginx', args: ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
});

const ctx = edgeSuite({
  target: 'nginx', launch, check: (dir) => runsClean('nginx', ['-t', ...launch(dir).args]), seesPresence: false, ownHeaderOrder: false,
});

it('documented difference: nginx reads an empty Origin as absent, so such an OPTIONS goes to the application', async () => {
  const { edge, middleware } = await compare(ctx.edge.port, ctx.middleware.port, { method: 'OPTIONS', path: '/api/items', headers: { Origin: '', 'Access-Control-Request-Method': 'PUT' } });
  expect([middleware.status, edge.status, edge.body]).toEqual([403, 200, 'app']);
  expect(edge['access-control-allow-origin']).toBeUndefined();
});
