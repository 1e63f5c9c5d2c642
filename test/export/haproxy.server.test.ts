/**
 * The exported HAProxy config, run by the real HAProxy 2.6 in front of a real upstream, answers every
 * equivalence vector exactly as the middleware with the same policy — empty header values included,
 * since HAProxy tells them from absent ones.
 */
import { join } from 'node:path';
import { edgeSuite, runsClean } from './edge-suite';

const launch = (dir: string): { command: string; args: string[] } => ({ command: 'haproxy', args: ['-f', join(dir, 'haproxy.cfg')] });

edgeSuite({ target: 'haproxy', launch, check: (dir) => runsClean('haproxy', ['-c', '-q', ...launch(dir).args]), seesPresence: true, ownHeaderOrder: false });
