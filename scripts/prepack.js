'use strict';
// `npm pack` / `npm publish` of a workspace package: copies the named files and folders from the repository
// root into the package (npm packs only what is inside it). The repository keeps one copy of each:
// README.md and LICENSE for both packages, the generated alerts/, dashboards/ and the probe scrape example for @cors-sentinel/cli.
// The copies are git-ignored; a Markdown copy gets absolute links to the repository (absoluteLinks). Each file is written under a temporary name and renamed into place, so
// that two packs running at once never read a half-written copy.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
/**
 * Where the repository's files are read on the web. The shipped README is the repository's, whose relative
 * links (docs/, examples/, test/) point at files the package does not hold: in the copy they point here.
 */
const REPOSITORY_FILES = 'https://github.com/cors-sentinel/cors-sentinel/blob/main/';

/** `[text](docs/x.md#y)` → `[text](https://github.com/…/blob/main/docs/x.md#y)`; web, mail and in-page links stay. */
function absoluteLinks(markdown) {
  return markdown.replace(/\]\((?!https?:|mailto:|#)([^)\s]+)\)/g, (_match, target) => `](${REPOSITORY_FILES}${target.replace(/^\.\//, '')})`);
}

/**
 * A repository path named in plain text (`alerts/tests/`, deploy/x.yml): a top-level folder of the repository
 * and what follows, not part of a longer path, URL or link. test/package/snippets.ts uses it to check the shipped copy.
 */
const PLAIN_PATH = /(?<![\w/.:@\][(~$-])((?:examples|deploy|alerts|dashboards|src|test|bench|docs|packages|schema|scripts)\/[\w./*-]*)/g;

/** The package's `files` patterns as one test of a path relative to the package (`**` any folders, `*` one name). */
function shippedTest(packageDir) {
  const patterns = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).files ?? [];
  const toRegExp = (glob) => new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '(?:.*/)?').replace(/\*\*/g, '.*').replace(/\*/g, '[^/]*')}$`);
  const included = patterns.filter((p) => !p.startsWith('!')).map(toRegExp);
  const excluded = patterns.filter((p) => p.startsWith('!')).map((p) => toRegExp(p.slice(1)));
  return (file) => included.some((re) => re.test(file)) && !excluded.some((re) => re.test(file));
}

/** Files under `dir` (relative, `/`-separated), node_modules left out. */
function filesUnder(dir, prefix = '') {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.name !== 'node_modules').flatMap((e) => (e.isDirectory()
    ? filesUnder(path.join(dir, e.name), `${prefix}${e.name}/`)
    : [`${prefix}${e.name}`]));
}

/**
 * Plain-text repository paths the package does not ship become links to the repository (`alerts/tests/` →
 * [`alerts/tests/`](…/alerts/tests/)); in code, where a link would not render, the path becomes the URL.
 */
function linkUnshippedPaths(markdown, packageDir) {
  const isShipped = shippedTest(packageDir);
  const shipped = filesUnder(packageDir).filter(isShipped);
  const inPackage = (p) => shipped.some((f) => f === p || (p.endsWith('/') ? f.startsWith(p) : f.startsWith(`${p}/`)));
  const trimmed = (p) => p.replace(/[.,:;]+$/, '');
  const url = (p) => `${REPOSITORY_FILES}${p}`;
  const inCode = (p) => (inPackage(trimmed(p)) ? p : url(trimmed(p)) + p.slice(trimmed(p).length));
  let inFence = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*```/.test(line)) {
      inFence = !inFence;
      return line;
    }
    if (inFence) return line.replace(PLAIN_PATH, inCode);
    // Outside code, links stay; a whole inline-code path becomes a link; a path in longer inline code, the URL.
    return line.split(/(\[[^\]]*\]\([^)\s]*\)|`[^`]*`)/).map((part) => {
      if (/^\[[^\]]*\]\([^)\s]*\)$/.test(part)) return part;
      const code = /^`([^`]*)`$/.exec(part);
      if (code && new RegExp(`^${PLAIN_PATH.source}$`).test(code[1]) && !inPackage(trimmed(code[1]))) return `[${part}](${url(trimmed(code[1]))})`;
      if (code) return part.replace(PLAIN_PATH, inCode);
      return part.replace(PLAIN_PATH, (p) => (inPackage(trimmed(p)) ? p : `[${trimmed(p)}](${url(trimmed(p))})${p.slice(trimmed(p).length)}`));
    }).join('');
  }).join('\n');
}

function copy(from, to) {
  if (fs.statSync(from).isDirectory()) {
    fs.mkdirSync(to, { recursive: true });
    for (const name of fs.readdirSync(from)) copy(path.join(from, name), path.join(to, name));
    return;
  }
  fs.mkdirSync(path.dirname(to), { recursive: true });
  const temporary = `${to}.${process.pid}.tmp`;
  if (from.endsWith('.md')) fs.writeFileSync(temporary, linkUnshippedPaths(absoluteLinks(fs.readFileSync(from, 'utf8')), process.cwd()));
  else fs.copyFileSync(from, temporary);
  fs.renameSync(temporary, to);
}

if (require.main === module) {
  // Markdown last: whether a path it names ships is read from the package once everything else is in place.
  const names = process.argv.slice(2);
  const ordered = [...names.filter((n) => !n.endsWith('.md')), ...names.filter((n) => n.endsWith('.md'))];
  for (const name of ordered) copy(path.join(root, name), path.join(process.cwd(), name));
}

module.exports = { PLAIN_PATH, linkUnshippedPaths };
