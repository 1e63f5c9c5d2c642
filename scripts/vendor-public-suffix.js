'use strict';
// Ships the public suffix list with the library without the `tldts` package: copies tldts's
// self-contained CommonJS build (0.2 MB; the package is 3.8 MB with tldts-core, for five builds, their
// source maps and sources) to dist/cjs/vendor/tldts.js, unchanged but for its licence on top and its
// source-map comment (the map is not shipped), and points dist/cjs/origin/public-suffix.js at it.
// Why and what proves the answers equal: packages/cors-sentinel/src/origin/public-suffix.ts.
// Usage (after tsc): node scripts/vendor-public-suffix.js packages/cors-sentinel
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(process.argv[2] || path.join(__dirname, '..', 'packages', 'cors-sentinel'));
/** tsc keeps the quotes of the source's lazy `require('tldts')` (src/origin/public-suffix.ts). */
const FROM = /require\((["'])tldts\1\)/;
const TO = 'require("../vendor/tldts")';

/** tldts's CommonJS bundle, with its version and licence; refuses a build that loads other modules. */
function readBundle() {
  const manifest = require.resolve('tldts/package.json', { paths: [root] });
  const dir = path.dirname(manifest);
  const { version, main } = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  const code = fs.readFileSync(path.join(dir, main), 'utf8');
  if (/\brequire\(/.test(code)) throw new Error(`tldts@${version} ${main} requires other modules: it can no longer be shipped as one file`);
  return { version, main, code, licence: fs.readFileSync(path.join(dir, 'LICENSE'), 'utf8') };
}

/** The shipped file: tldts's licence, where it came from, then its code without the source-map comment. */
function vendored({ version, main, code, licence }) {
  const header = `/*! tldts@${version} ${main}, shipped by cors-sentinel unchanged (scripts/vendor-public-suffix.js).\n${licence.replace(/\*\//g, '* /').trim()}\n*/\n`;
  return header + code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
}

/** Writes dist/cjs/vendor/tldts.js and points the compiled public-suffix module at it (idempotent). */
function vendor() {
  fs.mkdirSync(path.join(root, 'dist/cjs/vendor'), { recursive: true });
  // Left alone when already right: .ci/run's concurrent portable runs each start with `npm run build`,
  // and a rewrite would truncate a module the other run may be loading.
  const target = path.join(root, 'dist/cjs/vendor/tldts.js');
  const text = vendored(readBundle());
  if (!fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== text) fs.writeFileSync(target, text);
  const entry = path.join(root, 'dist/cjs/origin/public-suffix.js');
  const compiled = fs.readFileSync(entry, 'utf8');
  const found = compiled.match(new RegExp(FROM.source, 'g')) ?? [];
  if (found.length === 1) fs.writeFileSync(entry, compiled.replace(FROM, TO));
  else if (found.length > 1 || compiled.split(TO).length !== 2) throw new Error(`${entry} must require "tldts" exactly once`);
}

if (require.main === module) vendor();

module.exports = { vendored, readBundle };
