/**
 * The attacker of the access-log observer (docs/threat-model.md, the flooder and the blinder), mounted
 * against the real `cors-sentinel logs` process over a real file and its real /metrics socket. The
 * attacker controls `Origin` (and every other request header) of requests to an nginx whose
 * `cors_json` access log (docs/proxy.md) the observer follows. Lines are written as nginx's
 * `escape=json` writes them (JSON.stringify escapes the same characters: `"`, `\` and controls; UTF-8
 * passes through), so header text can never end a value or a line.
 *
 * The log interleaves ~108,000 distinct random origins, ~13,600 distinct hostile ones (over-long,
 * control characters, quotes and backslashes, text made to look like more JSON fields or a whole
 * second line, non-ASCII, `null`, other schemes, paths, credentials), malformed and over-long lines,
 * the expected frontend (granted, and on one route rejected: a real misconfiguration) and one
 * persistent attacker. More lines, with a second frontend that nginx grants, are appended while the
 * process follows the file. Then: alive, every line counted once by what it was, series and
 * exposition bounded by the label guard's documented bound, the distinct-origin estimate true, the
 * three origins that matter under their own label, no label value or log line carrying attacker
 * text as sent, and resident memory bounded.
 *
 * Through the CLI the label hold period is the default 60 s, so the displacement of junk that took
 * every slot *before* an attacker bursts (one hold period) is mounted in blinding.test.ts instead; here
 * the attacker is present from the start of the flood and must keep its label through it, and the
 * second frontend arrives when every slot is already taken by junk.
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, startProcess, type Started } from '../support/processes';
import { sumSamples } from '../support/metrics-text';
import { sleep } from '../support/wait';

const EXPECTED = 'https://app.example.com';
const PARTNER = 'https://partner.example.org'; // granted by nginx, not expected by the operator
const ATTACKER = 'https://attacker.evil.test';
const FIRST_LINES = 120_000;
const FOLLOW_LINES = 20_000;
/** docs/metrics.md, the origin label guard: configured origins + 2 × limit (labelled + retiring) + patterns + 3. */
const LABEL_LIMIT = 50;
const ORIGIN_VALUES_BOUND = 1 + 2 * LABEL_LIMIT + 0 + 3;
/** docs/BENCHMARKS.md: /metrics ≤ 32 KB under an origin flood. */
const EXPOSITION_BOUND = 32 * 1024;
/**
 * The proof that the observer keeps no per-line state: it runs with its V8 heap capped at HEAP_CAP_MB, and
 * keeping every parsed line would need ~120 MB more than its baseline, so a retaining observer dies of
 * "heap out of memory" mid-flood (caught as "the observer exited"). Peak resident memory is not the
 * proof: it includes garbage V8 has not collected yet, which varies by Node version (+40 to +50 MB on
 * Node 20, +80 MB seen on Node 24), so it is only bounded loosely against a native leak.
 */
const HEAP_CAP_MB = 96;
const RSS_GROWTH_BOUND_MB = 160;
/** src/origin/parse.ts MAX_ORIGIN_LENGTH: a longer Origin is invalid, so no origin label is longer. */
const MAX_LABEL_LENGTH = 300;

/** What was written, by what each line is: the truth the metrics are checked against. */
interface Truth {
  lines: number;
  malformed: number;
  nonCors: number;
  allowed: number;
  rejected: number;
  invalid: number;
  nullOrigin: number;
  expectedAllowed: number;
  expectedRejected: number;
  partnerAllowed: number;
  partnerRejected: number;
  attacker: number;
  /** Distinct rejected origins as the sketch keys them: the origin, or the raw header of an invalid one. */
  readonly distinctRejected: Set<string>;
}

interface Entry {
  origin: string;
  preflight?: boolean;
  /** The Access-Control-Allow-Origin nginx sent ('' = none). */
  acao?: string;
  credentials?: boolean;
  uri?: string;
}

function nginxLine(e: Entry): string {
  const granted = e.acao !== undefined && e.acao !== '';
  return JSON.stringify({
    time: '2026-11-30T06:00:00+00:00', http_origin: e.origin, host: 'api.example.com', scheme: 'https', http_sec_fetch_site: 'cross-site',
    request_method: e.preflight ? 'OPTIONS' : 'GET', uri: e.uri ?? '/api/items', status: e.preflight ? (granted ? '204' : '403') : '200',
    http_access_control_request_method: e.preflight ? 'PUT' : '', http_access_control_request_headers: '',
    sent_http_access_control_allow_origin: e.acao ?? '', sent_http_access_control_allow_credentials: e.credentials ? 'true' : '',
    sent_http_access_control_allow_methods: e.preflight && granted ? 'GET, POST, PUT' : '', sent_http_access_control_allow_headers: '',
    sent_http_vary: 'Origin',
  });
}

/** Distinct origins that are not serialised origins; each one is `__invalid__` and its own distinct origin. */
function hostileOrigin(i: number): string {
  const fake = nginxLine({ origin: EXPECTED, acao: EXPECTED, credentials: true });
  switch (i % 10) {
    case 0: return `https://${'a'.repeat(i % 7 === 0 ? 20_000 : 310)}${i}.evil.test`;
    case 1: return `https://c${i}.evil.test\u0000\u0007\u001b[31m\r\n# HELP cors_fake_total x`;
    case 2: return `https://q${i}.evil.test"} cors_requests_total{origin="https://app.example.com"} 9e9 \\ \\"`;
    case 3: return `x${i}","http_origin":"${EXPECTED}","sent_http_access_control_allow_origin":"${EXPECTED}`;
    case 4: return `https://n${i}.evil.test\n${fake}\n`;
    case 5: return `https://bücher${i}.example`;
    case 6: return `javascript:alert(${i})//`;
    case 7: return `https://user:pw@h${i}.evil.test`;
    case 8: return `https://p${i}.evil.test/path?q=${i}`;
    default: return `https://lone${i}.evil.test\ud800\u2028`;
  }
}

function malformedLine(i: number): string {
  switch (i % 5) {
    case 0: return i % 3 === 0 ? `{"http_origin":"https://big.test","pad":"${'x'.repeat(70 * 1024)}"}` : 'GET /api/items HTTP/1.1 200';
    case 1: return nginxLine({ origin: `https://t${i}.trunc.test` }).slice(0, 60);
    case 2: return JSON.stringify({ http_origin: EXPECTED, request_method: 'GET /fake', uri: '/', status: '200' });
    case 3: return JSON.stringify({ http_origin: EXPECTED, request_method: 'GET', uri: '/', status: 'ok' });
    default: return '[1,2]';
  }
}

/** Line `i` of the log; `follow` adds the second frontend, first granted, later also rejected. */
function line(i: number, t: Truth, follow: boolean): string {
  t.lines++;
  const rejected = (key: string): void => void (t.rejected++, t.distinctRejected.add(key));
  if (follow && i % 30 === 7) return (t.partnerAllowed++, t.allowed++, nginxLine({ origin: PARTNER, acao: PARTNER, preflight: i % 60 === 7 }));
  if (follow && i % 150 === 8 && t.partnerAllowed > 0) return (t.partnerRejected++, rejected(PARTNER), nginxLine({ origin: PARTNER, uri: '/api/v2/items' }));
  if (i % 97 === 0) return (t.malformed++, malformedLine(i / 97));
  if (i % 50 === 1) return (t.nonCors++, nginxLine({ origin: '' }));
  if (i % 25 === 2) return (t.expectedAllowed++, t.allowed++, nginxLine({ origin: EXPECTED, acao: EXPECTED, credentials: true, preflight: i % 50 === 2 }));
  if (i % 200 === 3) return (t.expectedRejected++, rejected(EXPECTED), nginxLine({ origin: EXPECTED, uri: '/api/new-route', preflight: true }));
  if (i % 20 === 10) return (t.attacker++, rejected(ATTACKER), nginxLine({ origin: ATTACKER, preflight: i % 40 === 10 }));
  if (i % 333 === 4) return (t.nullOrigin++, rejected('null'), nginxLine({ origin: 'null' }));
  if (i % 9 === 5) {
    const origin = hostileOrigin(i);
    t.invalid++;
    rejected(origin);
    return nginxLine({ origin, preflight: i % 2 === 0 });
  }
  const origin = `https://${((i * 2654435761) >>> 0).toString(36)}-${i}.flood.test`;
  rejected(origin);
  return nginxLine({ origin, preflight: i % 3 === 0 });
}

function lines(from: number, to: number, t: Truth, follow: boolean): string {
  let out = '';
  for (let i = from; i < to; i++) out += `${line(i, t, follow)}\n`;
  return out;
}

/** Label values of every sample line of an exposition. */
function labelValues(text: string): Array<{ name: string; label: string; value: string }> {
  const out: Array<{ name: string; label: string; value: string }> = [];
  for (const l of text.split('\n')) {
    if (l === '' || l.startsWith('#')) continue;
    const name = l.slice(0, l.search(/[{ ]/));
    for (const m of l.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out.push({ name, label: m[1] as string, value: m[2] as string });
  }
  return out;
}

/** Every string in a parsed JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap(strings);
}

const memoryMb = (pid: number, key: 'VmRSS' | 'VmHWM'): number => {
  const kb = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(kb?.[1]) / 1024;
};

describe('an attacker who controls Origin floods the log that `cors-sentinel logs` follows', () => {
  let dir: string;
  let proc: Started | undefined;
  beforeAll(() => void (dir = mkdtempSync(path.join(os.tmpdir(), 'cors-log-flood-'))));
  afterAll(async () => {
    await proc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stays up, counts every line once, keeps series and memory bounded, and still names who matters', async () => {
    const file = path.join(dir, 'cors.log');
    const t: Truth = {
      lines: 0, malformed: 0, nonCors: 0, allowed: 0, rejected: 0, invalid: 0, nullOrigin: 0, expectedAllowed: 0, expectedRejected: 0,
      partnerAllowed: 0, partnerRejected: 0, attacker: 0, distinctRejected: new Set(),
    };
    // Written beside the log first, and renamed into place once the observer runs: its resident
    // memory before the flood is the baseline, and the whole flood appears at once.
    const pending = `${file}.pending`;
    writeFileSync(pending, '');
    for (let i = 0; i < FIRST_LINES; i += 10_000) appendFileSync(pending, lines(i, i + 10_000, t, false));
    proc = await startProcess('node', [`--max-old-space-size=${HEAP_CAP_MB}`, CLI, 'logs', '--format', 'nginx-json', '--expected-origins', EXPECTED, '--from-start', '--poll-ms', '50',
      '--metrics-listen', '127.0.0.1:0', file], /metrics on (http:\/\/[\d.:]+)\/metrics[^]*reading /);
    const admin = proc.match[1] as string;
    const pid = proc.child.pid as number;
    const linux = existsSync(`/proc/${pid}/status`);
    const rssBefore = linux ? memoryMb(pid, 'VmRSS') : 0;
    const started = Date.now();
    renameSync(pending, file);
    const scrape = async (): Promise<string> => (await fetch(`${admin}/metrics`)).text();
    const readUpTo = async (n: number): Promise<string> => {
      for (const until = Date.now() + 40_000; ; await sleep(100)) {
        if (proc?.child.exitCode !== null) throw new Error(`the observer exited:\n${proc?.output()}`);
        const text = await scrape();
        const read = sumSamples(text, 'cors_log_lines_total');
        if (read >= n) return text;
        if (Date.now() > until) throw new Error(`read ${read} of ${n} lines`);
      }
    };
    await readUpTo(t.lines);
    const linesPerSecond = Math.round(t.lines / ((Date.now() - started) / 1000));

    // Follow mode: more lines while it runs, one of them split across two writes.
    let i = FIRST_LINES;
    for (let chunk = 0; chunk < 4; chunk++, i += FOLLOW_LINES / 4) {
      const text = lines(i, i + FOLLOW_LINES / 4, t, true);
      const cut = text.length - 100;
      appendFileSync(file, text.slice(0, cut));
      await sleep(150);
      appendFileSync(file, text.slice(cut));
    }
    await readUpTo(t.lines);
    await sleep(300); // a few more polls: nothing may be counted twice
    const text = await scrape();

    // Alive and healthy.
    expect(proc.child.exitCode).toBeNull();
    const health = await fetch(`${admin}/healthz`);
    expect(health.status).toBe(200);

    // Every line counted exactly once, by what it was.
    const requests = sumSamples(text, 'cors_requests_total');
    const nonCors = sumSamples(text, 'cors_non_cors_requests_total');
    const malformed = sumSamples(text, 'cors_log_lines_total', { result: 'malformed' });
    expect(sumSamples(text, 'cors_log_lines_total')).toBe(t.lines);
    expect(requests + nonCors + malformed).toBe(t.lines);
    expect(malformed).toBe(t.malformed);
    expect(nonCors).toBe(t.nonCors);
    expect(sumSamples(text, 'cors_requests_total', { outcome: 'allowed' })).toBe(t.allowed);
    expect(sumSamples(text, 'cors_requests_total', { outcome: 'rejected' })).toBe(t.rejected);
    expect(sumSamples(text, 'cors_requests_total', { origin: '__invalid__' })).toBe(t.invalid);
    expect(sumSamples(text, 'cors_violations_total', { reason: 'invalid_origin' })).toBe(t.invalid);
    expect(sumSamples(text, 'cors_requests_total', { origin: 'null' })).toBe(t.nullOrigin);

    // The expected frontend (granted, and rejected on one route), the second frontend (first seen
    // with every slot taken by junk) and the persistent attacker each have their own label, with exact
    // counts: no fake field or fake line written into an Origin counted as one of them.
    expect(sumSamples(text, 'cors_requests_total', { origin: EXPECTED, outcome: 'allowed' })).toBe(t.expectedAllowed);
    expect(sumSamples(text, 'cors_requests_total', { origin: EXPECTED, outcome: 'rejected' })).toBe(t.expectedRejected);
    expect(sumSamples(text, 'cors_requests_total', { origin: PARTNER, outcome: 'allowed' })).toBe(t.partnerAllowed);
    expect(sumSamples(text, 'cors_requests_total', { origin: PARTNER, outcome: 'rejected' })).toBe(t.partnerRejected);
    expect(sumSamples(text, 'cors_requests_total', { origin: ATTACKER, outcome: 'rejected' })).toBe(t.attacker);
    expect(sumSamples(text, 'cors_response_findings_total', { finding: 'reflected_origin_with_credentials' })).toBe(0);

    // Series bounded by the guard, whatever the number of distinct origins; the exposition small.
    const values = labelValues(text);
    const origins = new Set(values.filter((v) => v.label === 'origin').map((v) => v.value));
    const requestSeries = text.split('\n').filter((l) => l.startsWith('cors_requests_total{')).length;
    const series = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    expect(t.distinctRejected.size).toBeGreaterThan(100_000);
    expect(origins.size).toBeLessThanOrEqual(ORIGIN_VALUES_BOUND);
    expect(requestSeries).toBeLessThanOrEqual(ORIGIN_VALUES_BOUND * 2 * 2); // × request_type × outcome, one route
    expect(values.filter((v) => v.label === 'origin' && v.name !== 'cors_requests_total')).toEqual([]);
    expect(Buffer.byteLength(text)).toBeLessThan(EXPOSITION_BOUND);

    // No label value as the attacker sent it: no escapes (quote, backslash, newline), no control or
    // non-ASCII characters, nothing longer than an origin may be; origins are serialised origins or
    // one of the fixed values; and no line of the exposition that is not a comment or a sample.
    for (const v of values) {
      expect(v.value).toMatch(/^[\x20-\x7e]*$/);
      expect(v.value).not.toMatch(/["\\]/);
      expect(v.value.length).toBeLessThanOrEqual(MAX_LABEL_LENGTH);
    }
    for (const o of origins) expect(o).toMatch(/^(null|__other__|__invalid__|[a-z][a-z0-9+.-]*:\/\/[a-z0-9._-]+(:\d{1,5})?)$/);
    for (const l of text.split('\n')) {
      if (l !== '') expect(l).toMatch(/^(# (HELP|TYPE) cors_\w+ .*|cors_\w+(\{(\w+="[^"\\]*",?)*\})? [-+0-9.e]+)$/);
    }
    expect(text).not.toContain('fake');

    // The distinct-origin estimate: every distinct rejected origin, invalid ones included.
    const estimate = sumSamples(text, 'cors_distinct_rejected_origins', { window: '5m' });
    const truth = t.distinctRejected.size;
    expect(Math.abs(estimate - truth) / truth).toBeLessThan(0.05);

    // The observer's own log: one JSON object per line (no line injected through a header), rate
    // limited, and no control character in any value.
    const logLines = proc.output().split('\n').filter((l) => l !== '' && !l.startsWith('cors-sentinel logs '));
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.length).toBeLessThan(300);
    for (const l of logLines) {
      const entry = JSON.parse(l) as Record<string, unknown>;
      expect(['cors violation', 'cors log lines suppressed', 'cors rejected origins', 'cors finding', 'cors log reader state']).toContain(entry.message);
      expect(l).not.toMatch(/[\u0000-\u001f\u007f]/);
      for (const s of strings(entry)) expect(s).not.toMatch(/[\u0000-\u001f\u007f]/); // nor once its escapes are read
    }

    // The heap cap above is the proof of bounded retention; resident memory, peak included, stays loosely bounded.
    const rss = linux ? memoryMb(pid, 'VmRSS') : 0;
    const peak = linux ? memoryMb(pid, 'VmHWM') : 0;
    if (linux) expect(peak - rssBefore).toBeLessThan(RSS_GROWTH_BOUND_MB);

    // eslint-disable-next-line no-console
    console.log(
      `log flood figures: ${t.lines} lines (${t.malformed} malformed, ${t.invalid} hostile), ${truth} distinct rejected origins, ` +
        `first ${FIRST_LINES} read at ~${linesPerSecond} lines/s; ${origins.size} origin values (bound ${ORIGIN_VALUES_BOUND}), ` +
        `${requestSeries} cors_requests_total series, ${series} series in all, /metrics ${Buffer.byteLength(text)} bytes; ` +
        `estimate ${estimate} (${((100 * (estimate - truth)) / truth).toFixed(2)} %); RSS ${rssBefore.toFixed(1)} MB before, ${rss.toFixed(1)} MB after, peak ${peak.toFixed(1)} MB; ` +
        `${logLines.length} log lines`,
    );
  }, 90_000);
});
