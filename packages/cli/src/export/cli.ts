/**
 * `cors-sentinel export --policy FILE --target nginx --out DIR [--upstream URL --listen HOST:PORT]`:
 * the validated policy as edge configuration, or a list of what the edge cannot enforce exactly.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPolicyFile } from 'cors-sentinel/internal/policy/file';
import { parseListen } from '../cli-args';
import { planEdge, type Refusal } from './plan';
import { EDGE_TARGETS, type EdgeFiles } from './targets';

const USAGE = `usage: cors-sentinel export --policy FILE --target ${Object.keys(EDGE_TARGETS).join('|')} --out DIR [--upstream URL --listen HOST:PORT]

  --policy FILE        the policy file (JSON/YAML), validated as the middleware validates it
  --target NAME        the edge to configure
  --out DIR            where the files go (created if missing)
  --upstream URL       with --listen: a complete, runnable config in front of this http:// upstream
  --listen HOST:PORT   where the edge listens

Without --upstream/--listen, DIR gets include snippets and a README saying where each goes.
gateway-api, traefik and envoy write configuration to apply (httproute.yaml, traefik-dynamic.yaml, envoy.yaml),
not run here: no --upstream/--listen.
A policy the edge cannot enforce exactly is refused, item by item (docs/edge.md); nothing is written.`;

export class ExportRefused extends Error {
  constructor(readonly refusals: readonly Refusal[]) {
    super(`the ${refusals.length === 1 ? 'policy has one part' : `policy has ${refusals.length} parts`} an edge cannot enforce exactly:\n${
      refusals.map((r) => `  ${r.route}: ${r.code}: ${r.message}`).join('\n')}`);
  }
}

export interface ExportRequest {
  readonly policyFile: string;
  readonly target: string;
  readonly out: string;
  readonly upstream?: string | undefined;
  readonly listen?: string | undefined;
}

/** Writes the target's files into `out` and returns their names; throws ExportRefused or a usage error. */
export function exportPolicy(request: ExportRequest): string[] {
  const target = EDGE_TARGETS[request.target];
  if (target === undefined) throw new TypeError(`--target ${JSON.stringify(request.target)}: expected one of ${Object.keys(EDGE_TARGETS).join(', ')}`);
  if ((request.upstream === undefined) !== (request.listen === undefined)) throw new TypeError('--upstream and --listen go together');
  const runnable = request.upstream !== undefined && request.listen !== undefined
    ? { upstream: upstreamOf(request.upstream), listen: parseListen(request.listen, '--listen') }
    : undefined;
  if (runnable !== undefined && target.snippetsOnly === true) throw new TypeError(`--target ${request.target} writes a resource to apply, not a runnable server: drop --upstream/--listen`);
  const plan = planEdge(loadPolicyFile(request.policyFile));
  const refusals = [...plan.refusals, ...(target.refusals?.(plan) ?? [])];
  if (refusals.length > 0) throw new ExportRefused(refusals);
  const files: EdgeFiles = target.render(plan, runnable);
  mkdirSync(request.out, { recursive: true });
  for (const dir of files.directories ?? []) mkdirSync(join(request.out, dir), { recursive: true });
  for (const [name, text] of Object.entries(files.files)) writeFileSync(join(request.out, name), text);
  return Object.keys(files.files);
}

function upstreamOf(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`--upstream ${JSON.stringify(text)}: expected an http:// URL`);
  }
  if (url.protocol !== 'http:' || url.pathname !== '/' || url.search !== '' || url.username !== '') {
    throw new TypeError(`--upstream ${JSON.stringify(text)}: expected http://host:port with no path, query or credentials`);
  }
  return url;
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      policy: { type: 'string' }, target: { type: 'string' }, out: { type: 'string' }, upstream: { type: 'string' }, listen: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void console.log(USAGE);
  if (values.policy === undefined || values.target === undefined || values.out === undefined) {
    console.error(`cors-sentinel export: --policy, --target and --out are required\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  try {
    const written = exportPolicy({ policyFile: values.policy, target: values.target, out: values.out, upstream: values.upstream, listen: values.listen });
    console.log(`wrote ${written.map((f) => join(values.out as string, f)).join(', ')}`);
  } catch (err) {
    if (!(err instanceof ExportRefused)) throw err;
    console.error(`cors-sentinel export: ${err.message}`);
    process.exitCode = 3;
  }
}
