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

function copy(from, to) {
  if (fs.statSync(from).isDirectory()) {
    fs.mkdirSync(to, { recursive: true });
    for (const name of fs.readdirSync(from)) copy(path.join(from, name), path.join(to, name));
    return;
  }
  fs.mkdirSync(path.dirname(to), { recursive: true });
  const temporary = `${to}.${process.pid}.tmp`;
  if (from.endsWith('.md')) fs.writeFileSync(temporary, absoluteLinks(fs.readFileSync(from, 'utf8')));
  else fs.copyFileSync(from, temporary);
  fs.renameSync(temporary, to);
}

for (const name of process.argv.slice(2)) copy(path.join(root, name), path.join(process.cwd(), name));
