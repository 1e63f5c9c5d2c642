/** Reading CORS answers the way a browser does: one exact ACAO value, ACAC exactly `true`. */
import type { ProbeResponse } from './types';

export function values(res: ProbeResponse, name: string): string[] {
  return (res.headers[name] ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

export function first(res: ProbeResponse, name: string): string | undefined {
  return res.headers[name]?.[0]?.trim();
}

/** What Access-Control-Allow-Origin grants: the sent origin, `*`, or nothing a browser accepts. */
export function granted(res: ProbeResponse): 'origin' | 'wildcard' | 'none' {
  const acao = res.headers['access-control-allow-origin'] ?? [];
  if (acao.length !== 1) return 'none'; // absent, or repeated (browsers reject both)
  const value = (acao[0] as string).trim();
  if (value === '*') return 'wildcard';
  return res.request.origin !== undefined && value === res.request.origin ? 'origin' : 'none';
}

export function withCredentials(res: ProbeResponse): boolean {
  return first(res, 'access-control-allow-credentials') === 'true';
}

export function varyOnOrigin(res: ProbeResponse): boolean {
  return values(res, 'vary').some((v) => v === '*' || v.toLowerCase() === 'origin');
}

/** The CORS headers of a response, for evidence (repeated values joined as a browser would see them). */
export function corsHeaders(res: ProbeResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, vals] of Object.entries(res.headers)) {
    if (name.startsWith('access-control-') || name === 'vary') out[name] = vals.join(', ');
  }
  return out;
}
