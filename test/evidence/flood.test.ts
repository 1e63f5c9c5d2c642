/**
 * The attacker story: a flood of 200,000 distinct origins (a scan of rejected origins, and the same
 * number granted by a layer that reflects every origin) must neither evict the real origins from the
 * ledger nor grow its memory or its file without bound. A resource bound, not a timing: retained heap
 * after a full GC, and the file's size.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { EvidenceLedger } from '../../packages/cors-sentinel/src/evidence/ledger';
import { evidenceText } from '../../packages/cors-sentinel/src/evidence/file';
import type { Decision } from '../../packages/cors-sentinel/src/engine/decision';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 2, 9);
const FLOOD = 200_000;
const CONFIGURED = Array.from({ length: 12 }, (_, i) => `https://app${i}.example.com`);
/** Tenants granted by a wildcard: busy ones (steady traffic) and quiet ones seen on an earlier day. */
const BUSY_TENANTS = Array.from({ length: 20 }, (_, i) => `https://t${i}.shops.example.com`);
const QUIET_TENANTS = Array.from({ length: 30 }, (_, i) => `https://q${i}.shops.example.com`);

function d(origin: string, allowed: boolean, requestType: 'preflight' | 'actual' = 'actual'): Decision {
  return {
    route: 'api', requestType, outcome: allowed ? 'allowed' : 'rejected', reason: allowed ? undefined : 'origin_not_allowed', origin,
    originSource: undefined, originPattern: undefined, headers: [], vary: [], status: undefined, passThrough: true,
  };
}
const GET = { method: 'GET', path: '/api/x', secFetchSite: 'cross-site' };
const PREFLIGHT = { method: 'OPTIONS', path: '/api/x', accessControlRequestMethod: 'PUT', accessControlRequestHeaders: 'content-type, authorization', secFetchSite: 'cross-site' };

function realTraffic(ledger: EvidenceLedger, time: number): void {
  for (const o of CONFIGURED) ledger.record('/api/*', d(o, true), GET, true, time);
  for (const o of QUIET_TENANTS) ledger.record('/api/*', d(o, true, 'preflight'), PREFLIGHT, false, time);
}

describe('an origin flood against the evidence ledger', () => {
  it('keeps every real origin, stays under 2 MB of retained heap and keeps the file bounded', () => {
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const ledger = new EvidenceLedger('host:1', new Set(CONFIGURED));
    realTraffic(ledger, T0 - DAY); // yesterday: the quiet tenants are seen once a day
    realTraffic(ledger, T0);
    const flood = T0 + 3_600_000;
    for (let i = 0; i < FLOOD; i++) {
      // A scan of rejected origins, and as many granted ones (a layer that reflects every origin).
      ledger.record('/api/*', d(`https://evil-${i}.attacker.example`, false), GET, false, flood);
      ledger.record('/api/*', d(`https://x${i}.shops.example.com`, true), GET, false, flood);
      if (i % 100 === 0) for (const o of BUSY_TENANTS) ledger.record('/api/*', d(o, true), GET, false, flood);
    }
    realTraffic(ledger, flood + 1);
    gc();
    const retainedMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    const file = ledger.toFile();
    const text = evidenceText(file);
    const kept = new Set(file.entries.map((e) => e.origin));
    for (const o of [...CONFIGURED, ...QUIET_TENANTS, ...BUSY_TENANTS]) expect(kept.has(o)).toBe(true);
    const quiet = file.entries.find((e) => e.origin === QUIET_TENANTS[0]);
    expect(quiet).toMatchObject({ preflight: { allowed: 3, rejected: 0 }, days: ['2026-11-01', '2026-11-02'], headers: { 'content-type': 3, authorization: 3 } });
    expect(file.entries.find((e) => e.origin === CONFIGURED[0])).toMatchObject({ actual: { allowed: 3, rejected: 0 }, credentialedGrants: 3 });
    // "dropped" is counted, so that a reader never takes a cut origin for an unused one.
    expect(file.dropped.pairs).toBeGreaterThan(2 * FLOOD - 2_000);
    expect(file.dropped.requests).toBeGreaterThanOrEqual(file.dropped.pairs);
    const total = file.entries.reduce((n, e) => n + e.preflight.allowed + e.preflight.rejected + e.actual.allowed + e.actual.rejected, 0);
    expect(total + file.dropped.requests).toBe(2 * FLOOD + 20 * (FLOOD / 100) + 3 * (CONFIGURED.length + QUIET_TENANTS.length));
    console.log(`evidence flood: ${2 * FLOOD} flood origins → ${file.entries.length} entries (${JSON.stringify(ledger.sizes())}), retained heap ${retainedMb.toFixed(2)} MB, file ${(text.length / 1024).toFixed(0)} KiB`);
    expect(retainedMb).toBeLessThan(2);
    expect(text.length).toBeLessThan(1024 * 1024);
    expect(ledger).toBeDefined(); // keeps the ledger alive across the measurement
  });

  it('stays bounded in the worst case: every pool full, every flood origin fanning out over many paths', () => {
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const ledger = new EvidenceLedger('host:1', new Set(CONFIGURED));
    // A patient attacker: each day 200 new origins, each sent again the next day so that it looks
    // established, over 6 days (more than the protected pool holds), each on 40 paths.
    for (let day = 0; day < 6; day++) {
      for (let r = 0; r < 40; r++) {
        for (let o = Math.max(0, 200 * (day - 1)); o < 200 * (day + 1); o++) ledger.record(`/p${r}/*`, d(`https://kept-${o}.attacker.example`, true), GET, false, T0 - (6 - day) * DAY);
      }
    }
    for (let i = 0; i < FLOOD; i++) {
      ledger.record(`/p${i % 50}/*`, d(`https://evil-${i}.attacker.example`, false), GET, false, T0 + 1);
      ledger.record(`/p${i % 50}/*`, d(`https://x${i}.shops.example.com`, true), GET, false, T0 + 1);
    }
    realTraffic(ledger, T0 + 2);
    gc();
    const retainedMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    const file = ledger.toFile();
    const text = evidenceText(file);
    const kept = new Set(file.entries.map((e) => e.origin));
    for (const o of CONFIGURED) expect(kept.has(o)).toBe(true);
    console.log(`evidence worst case: ${file.entries.length} entries (${JSON.stringify(ledger.sizes())}), retained heap ${retainedMb.toFixed(2)} MB, file ${(text.length / 1024).toFixed(0)} KiB`);
    expect(retainedMb).toBeLessThan(4);
    expect(text.length).toBeLessThan(4 * 1024 * 1024);
    expect(ledger).toBeDefined();
  });
});
