/**
 * Decision tables for the edges that are not packaged here (Gateway API, Traefik): the generated config
 * is read by a small evaluator of that edge's documented semantics, and its verdict on each equivalence
 * vector is set beside the middleware's (compilePolicy + decide, the engine every adapter runs).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RE2 } from 're2-wasm';
import { exportPolicy } from '../../packages/cli/src/export/cli';
import { compilePolicy } from '../../packages/cors-sentinel/src/engine/compile-policy';
import { decide } from '../../packages/cors-sentinel/src/engine/decide';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import type { Req } from '../support/exchange';
import { writePolicy } from './edges';

/** Exports `policy` for `target` and returns the written file's text, or the error (ExportRefused…). */
export function exported(target: string, file: string, policy: CorsSentinelOptions): { text: string; result: string[] | Error } {
  const dir = mkdtempSync(join(tmpdir(), `cors-export-${target}-`));
  try {
    const result = exportPolicy({ policyFile: writePolicy(dir, policy), target, out: dir });
    return { text: readFileSync(join(dir, file), 'utf8'), result };
  } catch (err) {
    return { text: '', result: err as Error };
  }
}

const compiled = new Map<string, RE2>();
/**
 * A regex as the edges run it: RE2 (Envoy's engine; Go's regexp, Traefik's and Caddy's, has the same
 * syntax and semantics), through re2-wasm. Unanchored search, like Go's MatchString; `(?i)` inline.
 */
export function re2(source: string): RE2 {
  let re = compiled.get(source);
  if (re === undefined) compiled.set(source, (re = new RE2(source, 'u')));
  return re;
}

/** An origin as a browser serialises it: lower case, default port elided, no leading zeros. */
export function browserSpelled(origin: string): boolean {
  return origin === origin.toLowerCase() && !/:(443|80)$|:0/.test(origin) && /^https?:\/\/[a-z0-9.-]+(:\d+)?$/.test(origin);
}

/** Whether the middleware, with `policy`, allows `req` (a CORS request it answers as allowed). */
export function middlewareDecider(policy: CorsSentinelOptions): (req: Req) => boolean {
  const compiled = compilePolicy({ ...policy, metrics: false, logger: false });
  return (r) => {
    const h = r.headers ?? {};
    const d = decide(compiled, {
      method: r.method ?? 'GET', path: (r.path ?? '/').split('?')[0] as string, origin: h.Origin, accessControlRequestMethod: h['Access-Control-Request-Method'],
      accessControlRequestHeaders: h['Access-Control-Request-Headers'], accessControlRequestPrivateNetwork: h['Access-Control-Request-Private-Network'],
    });
    return d !== undefined && 'outcome' in d && d.outcome === 'allowed';
  };
}

export interface TableRow { readonly name: string; readonly middleware: boolean; readonly edge: boolean }

/** One row per vector: the middleware's verdict and the edge's. */
export function decisionTable(vectors: ReadonlyArray<readonly [string, Req]>, policy: CorsSentinelOptions, edgeAllows: (req: Req) => boolean): TableRow[] {
  const middleware = middlewareDecider(policy);
  return vectors.map(([name, r]) => ({ name, middleware: middleware(r), edge: edgeAllows(r) }));
}
