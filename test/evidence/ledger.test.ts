import fc from 'fast-check';
import { EvidenceLedger, type EvidenceRequest } from '../../packages/cors-sentinel/src/evidence/ledger';
import { OTHER_KEY } from '../../packages/cors-sentinel/src/evidence/pair';
import { mergeEvidence } from '../../packages/cors-sentinel/src/evidence/merge';
import { parseEvidence } from '../../packages/cors-sentinel/src/evidence/parse';
import { evidenceText } from '../../packages/cors-sentinel/src/evidence/file';
import { firstSegment } from '../../packages/cors-sentinel/src/evidence/routes';
import type { Decision, Reason, RequestType } from '../../packages/cors-sentinel/src/engine/decision';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 2, 9);

function decision(origin: string, requestType: RequestType, allowed: boolean, reason?: Reason, credentials = false): Decision {
  return {
    route: 'api', requestType, outcome: allowed ? 'allowed' : 'rejected', reason: allowed ? undefined : (reason ?? 'origin_not_allowed'), origin,
    originSource: undefined, originPattern: undefined, headers: credentials ? [['Access-Control-Allow-Credentials', 'true']] : [], vary: [], status: undefined, passThrough: true,
  };
}

const preflight = (method: string, headers?: string, site?: string): EvidenceRequest => ({ method: 'OPTIONS', path: '/api/x', accessControlRequestMethod: method, accessControlRequestHeaders: headers, secFetchSite: site });
const actual = (method: string, site?: string): EvidenceRequest => ({ method, path: '/api/x', secFetchSite: site });

describe('the evidence ledger', () => {
  it('records per (route, origin) the days, counts, methods, headers, credentialed grants and Sec-Fetch-Site', () => {
    const ledger = new EvidenceLedger('a:1');
    const o = 'https://app.example.com';
    ledger.record('/api/*', decision(o, 'preflight', true), preflight('PUT', 'Content-Type, X-Trace', 'cross-site'), false, T0);
    ledger.record('/api/*', decision(o, 'actual', true), actual('PUT', 'cross-site'), true, T0 + 1);
    ledger.record('/api/*', decision(o, 'actual', false, 'method_not_allowed'), actual('DELETE'), false, T0 + 3 * DAY);
    const [e] = ledger.toFile().entries;
    expect(e).toEqual({
      route: '/api/*', origin: o, firstSeen: T0, lastSeen: T0 + 3 * DAY, days: ['2026-11-02', '2026-11-05'],
      preflight: { allowed: 1, rejected: 0 }, actual: { allowed: 1, rejected: 1 }, methods: { PUT: 2, DELETE: 1 },
      headers: { 'content-type': 1, 'x-trace': 1 }, credentialedGrants: 1, secFetchSite: { 'cross-site': 2, absent: 1 }, instances: ['a:1'],
    });
    const file = ledger.toFile();
    expect(file.instances['a:1']).toEqual({ firstSeen: T0, lastSeen: T0 + 3 * DAY });
    expect(file.days).toEqual(['2026-11-02', '2026-11-05']);
  });

  it('ignores requests without an Origin and counts a request without a usable time as dropped', () => {
    const ledger = new EvidenceLedger('a:1');
    ledger.record('*', { ...decision('x', 'non_cors', true), outcome: undefined, origin: undefined }, actual('GET'), false, T0);
    ledger.record('*', decision('https://a.example', 'actual', true), actual('GET'), false, Number.NaN);
    expect(ledger.toFile()).toMatchObject({ entries: [], dropped: { requests: 1, pairs: 0 } });
  });

  it('caps the method and header names of one pair: an attacker cannot grow a real origin\'s entry', () => {
    const ledger = new EvidenceLedger('a:1');
    for (let i = 0; i < 500; i++) ledger.record('/api/*', decision('https://app.example.com', 'preflight', false, 'method_not_allowed'), preflight(`M${i}`, `x-h${i}`), false, T0);
    const [e] = ledger.toFile().entries;
    expect(Object.keys(e!.methods).length).toBeLessThanOrEqual(16);
    expect(Object.keys(e!.headers).length).toBeLessThanOrEqual(48);
    expect(e!.methods[OTHER_KEY]! + Object.keys(e!.methods).length - 1).toBe(500);
  });

  it('keys a writer without a route table on the first path segment', () => {
    expect(firstSegment('/API/v1/x')).toBe('/api/*');
    expect(firstSegment('/')).toBe('/');
    expect(firstSegment('/health')).toBe('/health/*');
    expect(firstSegment(`/${'a'.repeat(100)}/x`)).toBe('/(long)/*');
  });

  it('absorbs a file written earlier: counts summed, days united, instances listed', () => {
    const first = new EvidenceLedger('a:1');
    first.record('/api/*', decision('https://app.example.com', 'actual', true), actual('GET'), false, T0);
    const second = new EvidenceLedger('a:2');
    second.absorb(parseEvidence(evidenceText(first.toFile())));
    second.record('/api/*', decision('https://app.example.com', 'actual', true), actual('GET'), false, T0 + DAY);
    const file = second.toFile();
    expect(file.entries).toHaveLength(1);
    expect(file.entries[0]).toMatchObject({ actual: { allowed: 2, rejected: 0 }, days: ['2026-11-02', '2026-11-03'], instances: ['a:1', 'a:2'], methods: { GET: 2 } });
    expect(Object.keys(file.instances).sort()).toEqual(['a:1', 'a:2']);
  });

  it('never throws, whatever the decision and request, and always writes a file parseEvidence accepts', () => {
    const text = fc.string({ maxLength: 40 });
    fc.assert(fc.property(
      fc.array(fc.record({
        origin: fc.oneof(text, fc.constantFrom('null', '__invalid__', 'https://x.invalid', 'https://app.example.com')),
        type: fc.constantFrom<RequestType>('preflight', 'actual', 'non_cors'),
        allowed: fc.boolean(), method: text, headers: fc.option(text, { nil: undefined }), site: fc.option(text, { nil: undefined }),
        path: text, route: fc.string({ minLength: 1, maxLength: 20 }), time: fc.oneof(fc.integer({ min: 0, max: 4e12 }), fc.constant(Number.NaN), fc.constant(-1)),
        credentialed: fc.boolean(),
      }), { maxLength: 40 }),
      (events) => {
        const ledger = new EvidenceLedger('fuzz:1', new Set(['https://app.example.com']), { protectedOrigins: 2, ordinaryOrigins: 2, attackOrigins: 2, routesPerOrigin: 3, routesPerNewOrigin: 2, protectedPairs: 4 });
        for (const ev of events) {
          ledger.record(ev.route, decision(ev.origin, ev.type, ev.allowed), { method: ev.method, path: ev.path, accessControlRequestMethod: ev.method, accessControlRequestHeaders: ev.headers, secFetchSite: ev.site }, ev.credentialed, ev.time);
        }
        const file = ledger.toFile();
        expect(parseEvidence(evidenceText(file))).toEqual(file);
        expect(mergeEvidence([file, file]).entries.length).toBe(file.entries.length);
      },
    ), { numRuns: 300 });
  });
});
