/** Compiles a `tenantFrom` declaration into a function over the neutral request, and the Vary it needs. */
import type { CorsRequest } from '../engine/decision';
import { isToken } from '../http/tokens';
import type { ProblemCollector } from '../policy/errors';
import { describe } from '../origin/matcher';
import { MAX_TENANT_LENGTH, type TenantSource } from './types';

export interface CompiledTenantSource {
  readonly tenantOf: (req: CorsRequest) => string | undefined;
  /** Header names the answer now depends on. */
  readonly vary: readonly string[];
}

export function compileTenantSource(source: unknown, at: string, problems: ProblemCollector): CompiledTenantSource | undefined {
  if (source === undefined) return undefined;
  const s = source as Partial<Record<'header' | 'query' | 'path', unknown>>;
  if (typeof source === 'object' && source !== null) {
    if (typeof s.header === 'string' && isToken(s.header)) {
      const name = s.header.toLowerCase();
      return { tenantOf: (req) => clean(req.headers?.[name]), vary: [s.header] };
    }
    if (typeof s.query === 'string' && s.query !== '') {
      const name = s.query;
      return { tenantOf: (req) => clean(queryParam(req.target ?? req.path, name)), vary: [] };
    }
    if (s.path instanceof RegExp && !s.path.global && !s.path.sticky && new RegExp(`${s.path.source}|`).exec('')!.length > 1) {
      const regexp = s.path;
      return { tenantOf: (req) => clean(regexp.exec(req.path)?.[1]), vary: [] };
    }
  }
  problems.add(at, 'invalid_type', `expected { header: name }, { query: name } or { path: RegExp with a capture group, no g/y flag }, got ${describe(source)}`);
  return undefined;
}

function queryParam(url: string, name: string): string | undefined {
  const q = url.indexOf('?');
  if (q === -1) return undefined;
  return new URLSearchParams(url.slice(q + 1)).get(name) ?? undefined;
}

/** A tenant id is a short printable string; anything else means "no tenant" (no lookup). */
function clean(value: string | readonly string[] | undefined | null): string | undefined {
  if (typeof value !== 'string' || value === '' || value.length > MAX_TENANT_LENGTH) return undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x21 || c === 0x7f) return undefined;
  }
  return value;
}
