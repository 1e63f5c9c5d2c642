/**
 * `runProbe(options)`: plan → send (one URL, budget, timeouts) → classify → grade. Options are
 * checked first and every problem reported together, with the fix in the message.
 */
import { isToken } from 'cors-sentinel/internal/http/tokens';
import { MIN_PROBE_KEY_BYTES } from 'cors-sentinel/internal/http/probe-signature';
import { CREDENTIALED_READ_SITUATIONS, PROBE_CLASSES, severityRank } from './classes';
import { classify } from './classify';
import { grade } from './grade';
import { DEFAULT_ATTACKER_DOMAIN } from './mutations';
import { actualMethodOf, planProbe } from './plan';
import { checkSentHeaders, redact, secretFragments, type SentHeader } from './session';
import { inconclusiveOf } from './verdict';
import { runRequests } from './runner';
import type { ProbeOptions, ProbeReport } from './types';

export const PROBE_DEFAULTS = { method: 'GET', timeoutMs: 5000, deadlineMs: 30_000, budget: 100, concurrency: 4 } as const;

export class ProbeOptionsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid probe options:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ProbeOptionsError';
  }
}

interface Resolved {
  readonly url: URL;
  readonly siteOrigin: string;
  readonly method: string;
  readonly headers: string[];
  readonly sendHeaders: readonly SentHeader[];
  readonly body?: { readonly data: string; readonly contentType: string };
}

/** Bodies a page can POST without a preflight: the only ones an opted-in actual POST may carry. */
export const SIMPLE_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'] as const;

export function resolveProbeOptions(o: ProbeOptions): Resolved {
  const problems: string[] = [];
  let url: URL | undefined;
  try {
    url = new URL(o.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push(`url ${JSON.stringify(o.url)} must be http:// or https://`);
    if (url.username || url.password) problems.push('url must not carry credentials (user:password@): they would be sent with every probe');
  } catch {
    problems.push(`url ${JSON.stringify(o.url)} is not an absolute URL (e.g. https://api.example.com/api/me)`);
  }
  let siteOrigin = url?.origin ?? '';
  if (o.siteOrigin !== undefined) {
    try {
      const s = new URL(o.siteOrigin);
      if (s.origin === 'null' || s.origin !== o.siteOrigin.replace(/\/$/, '')) problems.push(`site origin ${JSON.stringify(o.siteOrigin)} must be scheme://host[:port] without a path`);
      siteOrigin = s.origin;
    } catch {
      problems.push(`site origin ${JSON.stringify(o.siteOrigin)} is not an origin (e.g. https://app.example.com)`);
    }
  }
  const method = (o.method ?? PROBE_DEFAULTS.method).toUpperCase();
  if (!isToken(method)) problems.push(`method ${JSON.stringify(o.method)} is not an HTTP method name`);
  const headers = (o.headers ?? []).map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
  // A value typed without its colon ("Authorization Bearer …") may be a secret: only a short, space-free name is echoed.
  for (const h of headers) if (!isToken(h)) problems.push(/\s/.test(h) || h.length > 40 ? 'a --header is neither a header name nor "Name: value" (not shown: it may hold a secret)' : `header ${JSON.stringify(h)} is not a header name`);
  for (const [key, value, min] of [['timeoutMs', o.timeoutMs, 1], ['deadlineMs', o.deadlineMs, 1], ['budget', o.budget, 1], ['concurrency', o.concurrency, 1]] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= min)) problems.push(`${key} must be an integer ≥ ${min}`);
  }
  const sendHeaders = o.sendHeaders ?? [];
  problems.push(...checkSentHeaders(sendHeaders));
  if (o.probeKey !== undefined && !(o.probeKey instanceof Uint8Array && o.probeKey.length >= MIN_PROBE_KEY_BYTES)) problems.push(`the probe key must be at least ${MIN_PROBE_KEY_BYTES} bytes: generate one with \`openssl rand -hex 32\``);
  const contentType = o.contentType ?? SIMPLE_CONTENT_TYPES[0];
  if (o.body !== undefined && method !== 'POST') problems.push(`a body (--data) is sent only with --method POST, the one unsafe method a page sends without a preflight; ${method} is judged from preflights`);
  if (o.contentType !== undefined && o.body === undefined) problems.push('--content-type needs --data');
  if (!(SIMPLE_CONTENT_TYPES as readonly string[]).includes(contentType.split(';')[0]?.trim().toLowerCase() ?? '')) problems.push(`content type ${JSON.stringify(contentType)} would need a preflight: use one a form sends (${SIMPLE_CONTENT_TYPES.join(', ')})`);
  if (o.attackerDomain !== undefined && !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(o.attackerDomain)) problems.push('attacker domain must be a host name such as attacker.invalid');
  if (problems.length > 0 || !url) throw new ProbeOptionsError(problems);
  return { url, siteOrigin, method, headers, sendHeaders, ...(o.body !== undefined ? { body: { data: o.body, contentType } } : {}) };
}

export async function runProbe(options: ProbeOptions): Promise<ProbeReport> {
  const r = resolveProbeOptions(options);
  const started = Date.now();
  const plan = planProbe({ siteOrigin: r.siteOrigin, method: r.method, headers: r.headers, attackerDomain: options.attackerDomain ?? DEFAULT_ATTACKER_DOMAIN, postBody: r.body !== undefined });
  const run = await runRequests(r.url, plan.requests, {
    timeoutMs: options.timeoutMs ?? PROBE_DEFAULTS.timeoutMs,
    deadlineMs: options.deadlineMs ?? PROBE_DEFAULTS.deadlineMs,
    budget: options.budget ?? PROBE_DEFAULTS.budget,
    concurrency: options.concurrency ?? PROBE_DEFAULTS.concurrency,
    insecure: options.insecure ?? false,
    ...(options.signal ? { signal: options.signal } : {}),
    sendHeaders: r.sendHeaders,
    body: r.body,
    ...(options.probeKey !== undefined ? { probeKey: options.probeKey } : {}),
  });
  const order = (c: string): number => (PROBE_CLASSES as readonly string[]).indexOf(c);
  // Requests finish in any order; classify them in plan order so that the evidence is deterministic.
  const position = new Map(plan.requests.map((req, i) => [req, i]));
  const responses = [...run.responses].sort((a, b) => (position.get(a.request) ?? 0) - (position.get(b.request) ?? 0));
  const findings = grade(classify(plan, responses, r.siteOrigin)).sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || order(a.class) - order(b.class));
  const actualMethod = actualMethodOf(r.method, r.body !== undefined);
  const inconclusive = inconclusiveOf(responses, actualMethod, r.sendHeaders.length > 0);
  const report: ProbeReport = {
    url: r.url.href,
    siteOrigin: r.siteOrigin,
    startedAt: new Date(started).toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    requestsSent: run.sent,
    skipped: run.skipped,
    verdict: inconclusive ? 'inconclusive' : 'judged',
    ...(inconclusive ? { inconclusive } : {}),
    actualMethod,
    sentHeaders: r.sendHeaders.map(([name]) => name.toLowerCase()),
    findings,
    credentialedOriginReflection: findings.some((f) => (CREDENTIALED_READ_SITUATIONS as readonly string[]).includes(f.situation)),
  };
  // A server may echo a cookie or token into a header the evidence shows: no output may carry it.
  return redact(report, secretFragments(r.sendHeaders));
}
