/**
 * The pure middle of the prober: the mutations it builds, how answers are read (as a browser reads
 * them) and how findings are graded. Real-socket behaviour is in real-servers and hostile-target tests.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ALERTS_FILE, generateRules } from '../../packages/cli/src/mixin/generate';
import { DEFAULT_MIXIN_CONFIG } from '../../packages/cli/src/mixin/config-model';
import { probeAlerts } from '../../packages/cli/src/mixin/alerts/probe';
import { parseExporterConfig } from '../../packages/cli/src/probe/config';
import { redact, secretFragments } from '../../packages/cli/src/probe/session';
import { ORIGIN_CLASSES, ORIGIN_SEVERITY, PROBE_CLASSES, RESPONSE_SEVERITY, SEVERITIES, severityRank, severityTableMarkdown, worstSeverity, type ProbeClass } from '../../packages/cli/src/probe/classes';
import { formatSarif } from '../../packages/cli/src/probe/format/sarif';
import { classify } from '../../packages/cli/src/probe/classify';
import { grade } from '../../packages/cli/src/probe/grade';
import { originMutations } from '../../packages/cli/src/probe/mutations';
import { planProbe } from '../../packages/cli/src/probe/plan';
import type { ProbeRequest, ProbeResponse } from '../../packages/cli/src/probe/types';

const SITE = 'https://app.example.com';

describe('origin mutations', () => {
  it('covers every origin class for an https site, never the site itself, never twice', () => {
    const m = originMutations(SITE);
    expect(new Set(m.map((x) => x.class))).toEqual(new Set(ORIGIN_CLASSES));
    expect(m.map((x) => x.origin)).not.toContain(SITE);
    expect(new Set(m.map((x) => x.origin)).size).toBe(m.length);
    expect(m.find((x) => x.class === 'suffix_match')?.origin).toBe('https://cors-probeexample.com');
    expect(m.filter((x) => x.class === 'unescaped_dot').map((x) => x.origin)).toEqual(['https://appxexample.com', 'https://app.examplexcom']);
  });

  it('says who can send each origin: anyone, a subdomain owner, the network, or Safari users', () => {
    const reach = (origin: string) => originMutations(SITE).find((x) => x.origin === origin)?.reach;
    expect(reach('https://attacker.invalid')).toBe('anyone');
    expect(reach('https://cors-probe.github.io')).toBe('anyone');
    expect(reach('https://cors-probeapp.example.com')).toBe('subdomain');
    expect(reach('http://app.example.com')).toBe('network');
    expect(reach('https://app.example.com_.attacker.invalid')).toBe('anyone');
    expect(reach('https://app.example.com`.attacker.invalid')).toBe('safari');
  });

  it('finds a credentialed subdomain allowlist whatever label shape it admits, and says which origin passed', () => {
    const patterns = [/^https:\/\/\w+\.example\.com$/, /^https:\/\/[a-z]+\.example\.com$/, /^https:\/\/\d+\.example\.com$/, /^https:\/\/[a-z0-9]+_[a-z]+\.example\.com$/, /^https:\/\/[a-z]+\.[a-z]+\.example\.com$/, /^https:\/\/[a-z]{40,}\.example\.com$/, /^https:\/\/[a-z]+-[a-z]+\.example\.com$/];
    const expected = ['https://corsprobe.example.com', 'https://corsprobe.example.com', 'https://1337.example.com', 'https://cors_probe.example.com', 'https://cors.probe.example.com', `https://corsprobe${'x'.repeat(54)}.example.com`, 'https://cors-probe.example.com'];
    patterns.forEach((pattern, i) => {
      const f = probeWith((r) => (r.origin !== undefined && pattern.test(r.origin) ? { 'access-control-allow-origin': r.origin, 'access-control-allow-credentials': 'true', vary: 'Origin' } : { vary: 'Origin' }));
      const found = f.find((x) => x.class === 'subdomain_trusted');
      expect([pattern.source, found?.severity, found?.evidence.origin]).toEqual([pattern.source, 'medium', expected[i]]);
    });
    expect(originMutations('http://127.0.0.1:8080').map((m) => m.class)).not.toContain('subdomain_trusted');
  });

  it('skips the http variant for an http site and uses the attacker domain given', () => {
    const m = originMutations('http://localhost:5173', 'evil.test');
    expect(m.map((x) => x.class)).not.toContain('http_origin_trusted');
    expect(m[0]?.origin).toBe('http://evil.test');
  });
});

type Answer = (r: ProbeRequest) => Record<string, string | string[] | undefined>;

/** Answers every planned request with `answer(request)`, as the runner would collect them. */
function probeWith(answer: Answer, status: (r: ProbeRequest) => number = () => 200) {
  return probeWithPlan({ method: 'GET', headers: [] }, answer, status);
}

function probeWithPlan(input: { method: string; headers: string[] }, answer: Answer, status: (r: ProbeRequest) => number = () => 200) {
  const plan = planProbe({ siteOrigin: SITE, ...input, attackerDomain: 'attacker.invalid' });
  const responses: ProbeResponse[] = plan.requests.map((request) => {
    const h = answer(request);
    return { request, status: status(request), headers: Object.fromEntries(Object.entries(h).filter((e): e is [string, string | string[]] => e[1] !== undefined).map(([k, v]) => [k, Array.isArray(v) ? v : [v]])) };
  });
  return grade(classify(plan, responses, SITE));
}

describe('grading', () => {
  it('reads answers as a browser does: a repeated ACAO grants nothing, ACAC must be exactly "true"', () => {
    expect(probeWith((r) => ({ 'access-control-allow-origin': [r.origin ?? '', r.origin ?? ''], 'access-control-allow-credentials': 'true', vary: 'Origin' }))).toEqual([]);
    const f = probeWith((r) => (r.origin ? { 'access-control-allow-origin': r.origin, 'access-control-allow-credentials': 'TRUE', vary: 'Origin' } : { vary: 'Origin' }));
    expect(f.map((x) => [x.class, x.severity])).toEqual([['arbitrary_origin_reflected', 'info']]);
  });

  it('grades a preflight-only grant that unlocks nothing beyond a simple GET as info: nothing to read, nothing new to send', () => {
    const f = probeWith((r) => (r.kind === 'preflight' && r.origin ? { 'access-control-allow-origin': r.origin, 'access-control-allow-credentials': 'true', 'access-control-allow-methods': 'GET', vary: 'Origin' } : {}));
    const reflection = f.find((x) => x.class === 'arbitrary_origin_reflected');
    expect([reflection?.severity, reflection?.situation, reflection?.access]).toEqual(['info', 'preflight_only', 'preflight_only']);
    expect(f.filter((x) => x.severity === 'high' || x.severity === 'medium')).toEqual([]);
  });

  it('grades a credentialed preflight grant of PUT, or of a custom header, as a high write', () => {
    const grantAll = (method: string, headers: string[], methods = 'GET, PUT') => probeWithPlan({ method, headers }, (r) => (r.kind === 'preflight' && r.origin ? { 'access-control-allow-origin': r.origin, 'access-control-allow-credentials': 'true', 'access-control-allow-methods': methods, 'access-control-allow-headers': 'x-tenant-id', vary: 'Origin' } : {}));
    const cases: [ReturnType<typeof grantAll>, string][] = [[grantAll('PUT', []), 'PUT'], [grantAll('GET', ['x-tenant-id']), 'x-tenant-id'], [grantAll('GET', [], 'GET, DELETE'), 'DELETE']];
    for (const [f, unlocked] of cases) {
      const reflection = f.find((x) => x.class === 'arbitrary_origin_reflected');
      expect([reflection?.severity, reflection?.situation]).toEqual(['high', 'write_credentials_anyone']);
      expect(reflection?.explanation).toContain(`(${unlocked})`);
      expect(reflection?.explanation).not.toContain('GET');
    }
  });

  it('grades a credentialed preflight grant of POST alone as info (a form POST needs no preflight), and of POST with a JSON content-type as a high write', () => {
    const grantPost = (allowHeaders?: string) => probeWithPlan({ method: 'POST', headers: [] }, (r) => (r.kind === 'preflight' && r.origin ? { 'access-control-allow-origin': r.origin, 'access-control-allow-credentials': 'true', 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': allowHeaders, vary: 'Origin' } : {})).find((x) => x.class === 'arbitrary_origin_reflected');
    expect([grantPost()?.severity, grantPost()?.situation]).toEqual(['info', 'preflight_only']);
    expect([grantPost('x-other')?.severity, grantPost('x-other')?.situation]).toEqual(['info', 'preflight_only']);
    const json = grantPost('Content-Type');
    expect([json?.severity, json?.situation]).toEqual(['high', 'write_credentials_anyone']);
    expect(json?.explanation).toContain('(POST, content-type)');
    expect(json?.explanation).not.toContain('GET');
  });

  it('grades a credentialed preflight grant in front of a 401 actual answer as a high hidden read', () => {
    const f = probeWith((r) => (r.kind === 'preflight' && r.origin ? { 'access-control-allow-origin': r.origin, 'access-control-allow-credentials': 'true', 'access-control-allow-methods': 'GET' } : {}), (r) => (r.kind === 'actual' ? 401 : 204));
    expect(f.find((x) => x.class === 'arbitrary_origin_reflected')?.situation).toBe('hidden_read_credentials_anyone');
    expect(f.find((x) => x.class === 'arbitrary_origin_reflected')?.severity).toBe('high');
  });

  it('a preflight answered with an error status passes nothing (browsers need an ok status)', () => {
    const f = probeWith((r) => (r.kind === 'preflight' && r.origin ? { 'access-control-allow-origin': r.origin, 'access-control-allow-credentials': 'true', 'access-control-allow-methods': 'PUT' } : {}), (r) => (r.kind === 'preflight' ? 403 : 200));
    expect(f.filter((x) => x.class === 'arbitrary_origin_reflected')).toEqual([]);
  });

  it('grades a trusted subdomain pattern as medium, not high', () => {
    const f = probeWith((r) => (r.origin !== undefined && /^https:\/\/[a-z0-9-]+\.example\.com$/.test(r.origin) ? { 'access-control-allow-origin': r.origin, 'access-control-allow-credentials': 'true', vary: 'Origin' } : { vary: 'Origin' }));
    expect(f.map((x) => [x.class, x.severity])).toEqual([['pre_domain', 'medium'], ['subdomain_trusted', 'medium']]);
  });

  it('grades * with credentials low (browsers refuse it) and public * info, and a cached * harms nobody', () => {
    expect(probeWith(() => ({ 'access-control-allow-origin': '*', 'access-control-allow-credentials': 'true' })).map((x) => [x.class, x.severity])).toEqual([['wildcard_with_credentials', 'low']]);
    expect(probeWith(() => ({ 'access-control-allow-origin': '*' })).map((x) => [x.class, x.severity])).toEqual([['public_wildcard', 'info']]);
  });

  it('reports a rejected preflight that reveals the policy, and any-method/any-header preflights', () => {
    const f = probeWith((r) => {
      if (r.kind !== 'preflight') return { vary: 'Origin' };
      const base = { 'access-control-allow-methods': r.requestMethod ?? '', 'access-control-allow-headers': r.requestHeaders ?? '', vary: 'Origin' };
      return r.origin === SITE ? { ...base, 'access-control-allow-origin': SITE } : { ...base, 'access-control-allow-origin': SITE };
    });
    expect(f.map((x) => [x.class, x.severity]).sort()).toEqual([['preflight_any_header', 'info'], ['preflight_any_method', 'info'], ['rejected_preflight_reveals_policy', 'info']]);
  });

  it('grades Private Network Access granted to a foreign origin medium, high with credentials, to the site only info', () => {
    const pna = (grantForeign: boolean) => probeWith((r) => (r.kind === 'preflight' && (r.origin === SITE || grantForeign) && r.origin !== undefined ? { 'access-control-allow-origin': r.origin, 'access-control-allow-private-network': 'true', vary: 'Origin' } : { vary: 'Origin' }));
    expect(pna(false).map((x) => [x.class, x.severity])).toEqual([['private_network_access_granted', 'info']]);
    expect(pna(true).find((x) => x.class === 'private_network_access_granted')?.severity).toBe('medium');
    const credentialed = probeWith((r) => (r.kind === 'preflight' && r.origin !== undefined ? { 'access-control-allow-origin': r.origin, 'access-control-allow-credentials': 'true', 'access-control-allow-private-network': 'true' } : {}));
    expect(credentialed.find((x) => x.class === 'private_network_access_granted')?.severity).toBe('high');
  });

  it('uses only the fixed class vocabulary', () => {
    const f = probeWith((r) => ({ 'access-control-allow-origin': r.origin ?? '*', 'access-control-allow-credentials': 'true', 'access-control-max-age': '999999' }));
    for (const x of f) expect(PROBE_CLASSES).toContain(x.class);
  });
});

describe('one severity table', () => {
  it('docs/prober.md shows the table the grader reads, and lists every class', () => {
    const docs = readFileSync(join(__dirname, '..', '..', 'docs', 'prober.md'), 'utf8');
    const shown = /<!-- severity-table:start -->\n([\s\S]*?)\n<!-- severity-table:end -->/.exec(docs)?.[1];
    expect(shown).toBe(severityTableMarkdown());
    for (const c of PROBE_CLASSES) expect(docs).toContain(`| \`${c}\` |`);
  });

  it('every finding names a row of the table that gives its severity, and SARIF scores each rule by its worst row', () => {
    const f = probeWith((r) => ({ 'access-control-allow-origin': r.origin ?? '*', 'access-control-allow-credentials': 'true', 'access-control-max-age': '999999', 'access-control-allow-private-network': 'true' }));
    expect(f.length).toBeGreaterThan(2);
    for (const x of f) {
      const rows: Record<string, string> = (ORIGIN_CLASSES as readonly string[]).includes(x.class) ? ORIGIN_SEVERITY : RESPONSE_SEVERITY[x.class as keyof typeof RESPONSE_SEVERITY];
      expect(rows[x.situation]).toBe(x.severity);
    }
    const sarif = JSON.parse(formatSarif({ url: 'https://api.example.com/', siteOrigin: SITE, startedAt: new Date(0).toISOString(), durationSeconds: 0, requestsSent: 0, skipped: 0, findings: f, credentialedOriginReflection: true, verdict: 'judged', actualMethod: 'GET', sentHeaders: [] }));
    const rules = sarif.runs[0].tool.driver.rules as { id: ProbeClass; properties: { 'security-severity': string } }[];
    expect(rules.find((r) => r.id === 'private_network_access_granted')?.properties['security-severity']).toBe('8.1');
    expect(rules.find((r) => r.id === 'public_wildcard')?.properties['security-severity']).toBe('0.0');
    for (const r of rules) expect(worstSeverity(r.id)).toBeDefined();
  });
});

describe('the alerts that read the table', () => {
  const rules = (parse(generateRules(DEFAULT_MIXIN_CONFIG)[ALERTS_FILE] as string) as { groups: { rules: { alert?: string; expr: string; for?: string; labels: { severity: string } }[] }[] }).groups.flatMap((g) => g.rules);
  const names = probeAlerts.alerts.map((a) => a.name);
  const probe = rules.filter((r) => r.alert !== undefined && names.includes(r.alert));

  it('notify on exactly the severities the table gives at medium or worse, one alert each, and never on low or info', () => {
    const given = new Set<string>([...Object.values(ORIGIN_SEVERITY), ...Object.values(RESPONSE_SEVERITY).flatMap((c) => Object.values(c))]);
    const notifying = SEVERITIES.filter((s) => given.has(s) && severityRank(s) >= severityRank('medium'));
    const read = probe.flatMap((r) => [...r.expr.matchAll(/cors_probe_findings\{[^}]*severity(=~?)"([^"]+)"/g)].map((m) => [m[1], m[2]]));
    expect(read.every(([op]) => op === '=')).toBe(true);
    expect(read.map(([, s]) => s).sort()).toEqual([...notifying].sort());
  });

  it('are listed in docs/prober.md with their severity and for, as generated', () => {
    const docs = readFileSync(join(__dirname, '..', '..', 'docs', 'prober.md'), 'utf8');
    const shown = /<!-- probe-alerts:start -->\n([\s\S]*?)\n<!-- probe-alerts:end -->/.exec(docs)?.[1] ?? '';
    const listed = [...shown.matchAll(/^- \*\*(\w+)\*\* \((\w+), `for: (\w+)`\)(.*(?:\n {2}.*)*)/gm)].map((m) => ({ alert: m[1], severity: m[2], for: m[3], reads: /`(cors_probe_\w+(?:\{severity="\w+"\})?)`/.exec(m[4] ?? '')?.[1] }));
    const expected = probe.map((r) => ({ alert: r.alert, severity: r.labels.severity, for: r.for ?? '0s', reads: /cors_probe_findings\{[^}]*severity="(\w+)"/.exec(r.expr) ? `cors_probe_findings{severity="${/severity="(\w+)"/.exec(r.expr)?.[1]}"}` : /cors_probe_\w+/.exec(r.expr)?.[0] }));
    expect(probe.length).toBe(names.length);
    expect(listed).toEqual(expected);
  });
});

describe('exporter modules with a session', () => {
  it('read it from a file or the environment at start-up, and name problems without the value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'probe-module-session-'));
    try {
      const file = join(dir, 'session');
      writeFileSync(file, '# comment\nAuthorization: Bearer tok-91ab27cd\nnot a header line tok-91ab27cd\n');
      const config = () => parseExporterConfig({ modules: { web: { headerFile: file } }, targets: [{ url: 'https://api.example.com/', modules: ['web'] }] });
      expect(config).toThrow(/modules\.web\.headerFile .* line 3: expected "Name: value"/);
      try {
        config();
      } catch (err) {
        expect((err as Error).message).not.toContain('tok-91ab27cd');
      }
      writeFileSync(file, 'Authorization: Bearer tok-91ab27cd\n');
      expect(config().modules.get('web')?.sendHeaders).toEqual([['Authorization', 'Bearer tok-91ab27cd']]);
      expect(() => parseExporterConfig({ modules: { web: { headerEnv: 'CORS_PROBE_UNSET_VARIABLE' } }, targets: ['https://api.example.com/'] })).toThrow(/headerEnv CORS_PROBE_UNSET_VARIABLE: the environment variable is not set/);
      expect(() => parseExporterConfig({ modules: { web: { headerFile: join(dir, 'missing') } }, targets: ['https://api.example.com/'] })).toThrow(/cannot read it \(ENOENT\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('send the session to one origin only: a session module is never implied, and one named by targets of two origins is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'probe-module-origin-'));
    try {
      const file = join(dir, 'session');
      writeFileSync(file, 'Cookie: session=tok-91ab27cd\n');
      const modules = { web: { headerFile: file }, public: {} };
      const config = parseExporterConfig({ modules, targets: ['https://api.example.com/api/me', { url: 'https://api.example.com/api/orders', modules: ['web'] }] });
      expect(config.targets.map((t) => t.modules)).toEqual([['public'], ['web']]);
      let message = '';
      try {
        parseExporterConfig({ modules, targets: [{ url: 'https://api.example.com/api/me', modules: ['web'] }, { url: 'https://vendor.example.net/v1', modules: ['web', 'public'] }] });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toContain('modules.web: its session (headerFile/headerEnv) would be sent to https://api.example.com, https://vendor.example.net: a session goes to one origin only');
      expect(message).not.toContain('tok-91ab27cd');
      expect(() => parseExporterConfig({ modules: { web: { headerFile: file } }, targets: ['https://api.example.com/api/me'] })).toThrow(/targets\[0\]: every module carries a session, which is never implied/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('redacts the value, each cookie value and a bearer token wherever a report carries them', () => {
    const fragments = secretFragments([['Cookie', 'session=abcdef123456; theme=dark'], ['Authorization', 'Bearer tok-91ab27cd']]);
    const report = { evidence: { headers: { 'access-control-expose-headers': 'abcdef123456', vary: 'Origin' } }, note: 'Bearer tok-91ab27cd, theme=dark, dark' };
    expect(redact(report, fragments)).toEqual({ evidence: { headers: { 'access-control-expose-headers': '[redacted]', vary: 'Origin' } }, note: '[redacted], [redacted], dark' });
    // Fragments shorter than 8 characters alone ("dark") are left: they would blank ordinary words.
  });
});
