#!/usr/bin/env node
/**
 * `cors-sentinel <command>`: each command lives in its own module and is loaded only when run,
 * so that the library itself never pulls in the demo's or the mixin's dependencies.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isUsageError } from './cli-args';

interface Command {
  readonly summary: string;
  readonly run: (argv: string[]) => Promise<void> | void;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  demo: {
    summary: 'run the demo API with /metrics and a built-in traffic simulator',
    run: async (argv) => (await import('./demo/main.js')).main(argv),
  },
  traffic: {
    summary: 'send simulated browser traffic (allowed, preflight, rejected, attacks) to an API',
    run: async (argv) => (await import('./demo/traffic-cli.js')).main(argv),
  },
  mixin: {
    summary: 'generate recording and alert rules, dashboards and an Alertmanager sub-route for your selector (or prometheus-operator resources)',
    run: async (argv) => (await import('./mixin/cli.js')).main(argv),
  },
  check: { summary: 'validate a policy file (JSON/YAML) and print the compiled routes, origin kinds, credentials and warnings', run: async (argv) => (await import('./cli/policy-commands.js')).checkMain(argv) },
  explain: { summary: 'explain the decision a policy file makes for one request (--policy --origin --method --path [--preflight] [--json])', run: async (argv) => (await import('./cli/policy-commands.js')).explainMain(argv) },
  export: {
    summary: 'write the policy as nginx, HAProxy or Caddy configuration (snippets, or runnable with --upstream/--listen) or a Gateway API HTTPRoute; refuses what an edge cannot enforce exactly',
    run: async (argv) => (await import('./export/cli.js')).main(argv),
  },
  probe: {
    summary: 'probe a URL for CORS misconfigurations (or --serve a blackbox-style /probe exporter)',
    run: async (argv) => (await import('./probe/cli.js')).main(argv),
  },
  proxy: {
    summary: 'run the sidecar reverse proxy that enforces or observes CORS for any backend (Flask, Django, Rails, Go…)',
    run: async (argv) => (await import('./proxy/cli.js')).main(argv),
  },
  logs: {
    summary: 'observe CORS from an nginx JSON access log (follows the file through rotation) and serve /metrics',
    run: async (argv) => (await import('./logs/cli.js')).main(argv),
  },
  suggest: {
    summary: 'suggest a least-privilege policy from evidence files (--evidence … --out candidate.yaml [--policy current]): tiers, diff, report-only candidate',
    run: async (argv) => (await import('./suggest/cli.js')).main(argv),
  },
  stack: { summary: 'from a checkout of the repository only (not the npm package): run the docker-compose demo stack natively (prometheus, alertmanager, grafana if installed)', run: async (argv) => (await import('./stack/cli.js').catch(onlyInCheckout)).main(argv) },
};

/** The stack needs docker-compose.yml and deploy/, which the npm package does not ship. */
function onlyInCheckout(err: unknown): never {
  const code = (err as { code?: string }).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw err;
  throw new Error('cors-sentinel stack runs from a checkout of the repository (it needs docker-compose.yml and deploy/): `npm run stack` there. The package ships the demo API: npx @cors-sentinel/cli demo');
}

/** `@cors-sentinel/cli 0.1.0 (cors-sentinel 0.1.0, node v22.…)`: both packages, as installed. */
function version(): string {
  const versionOf = (file: string): string => (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  let dir = __dirname;
  while (!isCliManifest(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const manifest = path.join(dir, 'package.json');
  const cli = isCliManifest(manifest) ? versionOf(manifest) : 'unknown';
  let library = 'not found';
  try {
    library = versionOf(require.resolve('cors-sentinel/package.json', { paths: [dir] }));
  } catch {
    // a broken install: say so rather than fail
  }
  return `@cors-sentinel/cli ${cli} (cors-sentinel ${library}, node ${process.version})`;
}

function isCliManifest(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === '@cors-sentinel/cli';
  } catch {
    return false;
  }
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: cors-sentinel <command> [options]\n       cors-sentinel --version\n\ncommands:\n${lines.join('\n')}\n\nRun a command with --help for its options.`;
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    console.log(version());
    return;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`cors-sentinel: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  await command.run(rest);
}

// A command that fails exits, even when one of its listeners is already open (a second listener that
// cannot bind must not leave the first serving); a configuration or usage error exits 2, anything else 1.
main(process.argv.slice(2)).catch((err: unknown) => {
  // A message, never a stack: usage mistakes exit 2 (with where to find the usage), a configuration
  // error its own code (2), everything else 1.
  const message = err instanceof Error ? err.message : String(err);
  if (isUsageError(err)) {
    const command = process.argv[2] ?? '';
    const bare = message.startsWith(`${command}: `) ? message.slice(command.length + 2) : message;
    console.error(bare.startsWith('cors-sentinel') ? bare : `cors-sentinel ${command}: ${bare}\n\nRun cors-sentinel ${command} --help for usage.`);
    process.exit(2);
  }
  console.error(message);
  const code = (err as { exitCode?: unknown } | null)?.exitCode;
  process.exit(typeof code === 'number' ? code : 1);
});
