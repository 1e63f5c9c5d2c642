'use strict';
// `npm pack` / `npm publish` of a workspace package: copies the named files and folders from the repository
// root into the package (npm packs only what is inside it). The repository keeps one copy of each:
// README.md and LICENSE for both packages, the generated alerts/ and dashboards/ for @cors-sentinel/cli.
// The copies are git-ignored.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
for (const name of process.argv.slice(2)) {
  fs.cpSync(path.join(root, name), path.join(process.cwd(), name), { recursive: true });
}
