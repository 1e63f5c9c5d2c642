/**
 * The exporter's config file (YAML or JSON): named modules (site origin, method, headers, timeouts,
 * budget) and the targets it may probe. Only listed URLs are probed, so a scrape request cannot turn
 * the exporter into a scanner of arbitrary hosts. Every problem is reported at once, with its path.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { resolveProbeOptions, ProbeOptionsError } from './probe';
import { readHeaderSources, type SentHeader } from './session';
import { readProbeKeyFile } from 'cors-sentinel/internal/http/probe-signature';
import type { ProbeOptions } from './types';

export interface ProbeModule extends Omit<ProbeOptions, 'url'> {
  readonly name: string;
}

export interface ProbeTarget {
  readonly url: string;
  /** Modules this target may be probed with (all modules when omitted). */
  readonly modules: readonly string[];
}

export interface ExporterConfig {
  readonly modules: ReadonlyMap<string, ProbeModule>;
  readonly targets: readonly ProbeTarget[];
  /** Probes running at once; further scrapes get 429 (the exporter is not a load generator). */
  readonly maxConcurrentProbes: number;
  /** Of those, probes of one target (any modules); default 2, at most maxConcurrentProbes. */
  readonly maxConcurrentProbesPerTarget: number;
}

export class ProbeConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid probe config ${file}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ProbeConfigError';
  }
}

const MODULE_KEYS = ['siteOrigin', 'method', 'headers', 'headerFile', 'headerEnv', 'data', 'contentType', 'timeout', 'deadline', 'budget', 'concurrency', 'attackerDomain', 'insecure', 'keyFile'];

export function loadExporterConfig(file: string): ExporterConfig {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ProbeConfigError(file, [`cannot read or parse it: ${(err as Error).message}`]);
  }
  return parseExporterConfig(raw, file);
}

export function parseExporterConfig(raw: unknown, file = '<config>'): ExporterConfig {
  const problems: string[] = [];
  const doc = isObject(raw) ? raw : (problems.push('the file must be a mapping with `modules` and `targets`'), {});
  for (const k of Object.keys(doc)) if (!['modules', 'targets', 'maxConcurrentProbes', 'maxConcurrentProbesPerTarget'].includes(k)) problems.push(`unknown key ${k}`);
  const modules = new Map<string, ProbeModule>();
  const rawModules = isObject(doc.modules) ? doc.modules : (problems.push('modules: must map module names to settings, e.g. modules: { default: { siteOrigin: https://app.example.com } }'), {});
  for (const [name, m] of Object.entries(rawModules)) {
    const parsed = parseModule(name, m, problems);
    if (parsed) modules.set(name, parsed);
  }
  const targets: ProbeTarget[] = [];
  const rawTargets = Array.isArray(doc.targets) ? doc.targets : (problems.push('targets: must be a list of { url, modules? }: only these URLs can be probed'), []);
  rawTargets.forEach((t: unknown, i: number) => {
    const entry = typeof t === 'string' ? { url: t } : t;
    if (!isObject(entry) || typeof entry.url !== 'string') return void problems.push(`targets[${i}]: needs a url`);
    for (const k of Object.keys(entry)) if (!['url', 'modules'].includes(k)) problems.push(`targets[${i}]: unknown key ${k}`);
    const url = normaliseTarget(entry.url);
    if (url === undefined) return void problems.push(`targets[${i}].url: ${JSON.stringify(entry.url)} is not an http(s) URL`);
    // A module with a session is never implied: its cookie or token goes only where it is named.
    const names = entry.modules === undefined ? Object.keys(rawModules).filter((n) => !hasSession(modules.get(n))) : Array.isArray(entry.modules) ? entry.modules.map(String) : [];
    if (entry.modules !== undefined && !Array.isArray(entry.modules)) problems.push(`targets[${i}].modules: must be a list of module names`);
    for (const n of names) if (!(n in rawModules)) problems.push(`targets[${i}].modules: unknown module ${JSON.stringify(n)}`);
    if (entry.modules === undefined && names.length === 0 && modules.size > 0) problems.push(`targets[${i}]: every module carries a session, which is never implied: name the module in targets[${i}].modules`);
    targets.push({ url, modules: names });
  });
  problems.push(...sessionsBeyondOneOrigin(modules, targets));
  const max = doc.maxConcurrentProbes ?? 4;
  if (!(Number.isInteger(max) && (max as number) >= 1)) problems.push('maxConcurrentProbes: must be an integer ≥ 1');
  const perTarget = doc.maxConcurrentProbesPerTarget ?? Math.min(2, Number(max) || 1);
  if (!(Number.isInteger(perTarget) && (perTarget as number) >= 1 && (perTarget as number) <= (max as number))) {
    problems.push('maxConcurrentProbesPerTarget: must be an integer from 1 to maxConcurrentProbes, so that one slow target cannot hold every slot');
  }
  if (problems.length > 0) throw new ProbeConfigError(file, problems);
  return { modules, targets, maxConcurrentProbes: max as number, maxConcurrentProbesPerTarget: perTarget as number };
}

function hasSession(m: ProbeModule | undefined): boolean {
  return (m?.sendHeaders?.length ?? 0) > 0;
}

/** A session (Cookie, Authorization) belongs to one origin: a module that carries one may probe no other. */
function sessionsBeyondOneOrigin(modules: ReadonlyMap<string, ProbeModule>, targets: readonly ProbeTarget[]): string[] {
  const problems: string[] = [];
  for (const [name, m] of modules) {
    if (!hasSession(m)) continue;
    const origins = [...new Set(targets.filter((t) => t.modules.includes(name)).map((t) => new URL(t.url).origin))];
    if (origins.length > 1) problems.push(`modules.${name}: its session (headerFile/headerEnv) would be sent to ${origins.join(', ')}: a session goes to one origin only, so give each origin a module of its own`);
  }
  return problems;
}

function parseModule(name: string, m: unknown, problems: string[]): ProbeModule | undefined {
  const at = `modules.${name}`;
  if (!isObject(m)) return void problems.push(`${at}: must be a mapping`);
  for (const k of Object.keys(m)) if (!MODULE_KEYS.includes(k)) problems.push(`${at}: unknown key ${k} (known: ${MODULE_KEYS.join(', ')})`);
  const module: ProbeModule = {
    name,
    siteOrigin: optionalString(m.siteOrigin, `${at}.siteOrigin`, problems),
    method: optionalString(m.method, `${at}.method`, problems),
    headers: m.headers === undefined ? undefined : Array.isArray(m.headers) ? m.headers.map(String) : void problems.push(`${at}.headers: must be a list`),
    timeoutMs: duration(m.timeout, `${at}.timeout`, problems),
    deadlineMs: duration(m.deadline, `${at}.deadline`, problems),
    budget: m.budget as number | undefined,
    concurrency: m.concurrency as number | undefined,
    attackerDomain: optionalString(m.attackerDomain, `${at}.attackerDomain`, problems),
    insecure: m.insecure === undefined || typeof m.insecure === 'boolean' ? m.insecure : void problems.push(`${at}.insecure: must be true or false`),
    sendHeaders: sessionOf(m, at, problems),
    body: optionalString(m.data, `${at}.data`, problems),
    contentType: optionalString(m.contentType, `${at}.contentType`, problems),
    probeKey: keyOf(m, at, problems),
  };
  try {
    resolveProbeOptions({ ...module, url: 'http://127.0.0.1/' });
  } catch (err) {
    if (!(err instanceof ProbeOptionsError)) throw err;
    for (const p of err.problems) problems.push(`${at}: ${p}`);
  }
  return module;
}

/**
 * A module's session headers, read once at start-up from a file (`headerFile`) or an environment
 * variable (`headerEnv`) of "Name: value" lines, never written in the config itself, so the config
 * can be committed. Problems name the source, never a value.
 */
function sessionOf(m: Record<string, unknown>, at: string, problems: string[]): SentHeader[] | undefined {
  const file = optionalString(m.headerFile, `${at}.headerFile`, problems);
  const envVar = optionalString(m.headerEnv, `${at}.headerEnv`, problems);
  if (file === undefined && envVar === undefined) return undefined;
  const read = readHeaderSources(file, envVar, (kind) => `${at}.${kind === 'file' ? 'headerFile' : 'headerEnv'}`);
  problems.push(...read.problems);
  return read.headers;
}

/** A module's `keyFile` (docs/prober.md#signed-probes): read once at start-up, like the session headers. */
function keyOf(m: Record<string, unknown>, at: string, problems: string[]): Buffer | undefined {
  const file = optionalString(m.keyFile, `${at}.keyFile`, problems);
  if (file === undefined) return undefined;
  try {
    return readProbeKeyFile(file);
  } catch (err) {
    return void problems.push(`${at}.keyFile: ${(err as Error).message}`);
  }
}

/** A target as the exporter compares it: parsed and re-serialised, so trivial spellings match. */
export function normaliseTarget(value: string): string | undefined {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

function duration(v: unknown, at: string, problems: string[]): number | undefined {
  if (v === undefined) return undefined;
  const ms = parseDuration(v);
  if (ms === undefined) problems.push(`${at}: ${JSON.stringify(v)} is not a duration (e.g. 500ms, 5s, 1m)`);
  return ms;
}

/** `500ms`, `5s`, `1m` or a whole number of milliseconds; undefined when it is none of these. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v > 0 ? v : undefined;
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim()) : null;
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm']);
  return ms > 0 ? ms : undefined;
}

function optionalString(v: unknown, at: string, problems: string[]): string | undefined {
  if (v === undefined || typeof v === 'string') return v;
  return void problems.push(`${at}: must be a string`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
