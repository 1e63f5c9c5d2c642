'use strict';
/**
 * Prints the functions with the most self time in a V8 CPU profile (`node --cpu-prof`), so that a
 * profile can be read (and quoted in docs/BENCHMARKS.md) without opening DevTools.
 *
 *   node bench/profile-summary.js PROFILE.cpuprofile [top=25]
 *
 * It also prints self time by package (node_modules/<name>, this package's dist/, node: internals),
 * which shows how much of a request the middleware itself costs next to Express and Node's HTTP.
 */
const fs = require('node:fs');
const path = require('node:path');

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/profile-summary.js PROFILE.cpuprofile [top]');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const byPackage = new Map();
function packageOf(url) {
  if (!url) return '(vm)';
  if (url.startsWith('node:')) return 'node internals';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.includes('/dist/')) return 'cors-sentinel (dist)';
  return path.basename(url);
}
// Sample i lasted timeDeltas[i + 1]; the last sample's duration is unknown and ignored.
for (let i = 0; i < profile.samples.length - 1; i++) {
  const node = byId.get(profile.samples[i]);
  const cf = node.callFrame;
  const where = cf.url ? `${path.basename(cf.url)}:${cf.lineNumber + 1}` : '';
  const key = `${cf.functionName || '(anonymous)'} ${where}`.trim();
  self.set(key, (self.get(key) ?? 0) + profile.timeDeltas[i + 1]);
  const pkg = cf.url ? packageOf(cf.url) : cf.functionName;
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + profile.timeDeltas[i + 1]);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25));
console.log(`total ${(total / 1000).toFixed(0)} ms sampled`);
for (const [key, us] of top) console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`);
console.log('by package:');
for (const [pkg, us] of [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 14)) {
  console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${pkg}`);
}
