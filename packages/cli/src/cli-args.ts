/** Small helpers shared by the long-running CLI commands (proxy, logs, probe --serve). */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { listenOn } from 'cors-sentinel/internal/metrics/admin-listener';
import type { MetricsAuth } from 'cors-sentinel/internal/policy/options';
import { readProbeKeyFile } from 'cors-sentinel/internal/http/probe-signature';

/** A configuration the command cannot run with (exit code 2): the message names the setting and the fix. */
export class CliConfigError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'CliConfigError';
  }
}

/**
 * A mistake in a command's flags or arguments: `cors-sentinel` prints the message (no stack) and
 * exits 2, as it does for node:util parseArgs' own errors (unknown flag, missing value).
 */
export class UsageError extends TypeError {
  override readonly name = 'UsageError';
  readonly exitCode = 2;
}

/** A usage error, whether ours or parseArgs' (`ERR_PARSE_ARGS_*`): exit code 2, not 1. */
export function isUsageError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_'));
}

/** `host:port`, `[v6]:port` or a bare port (127.0.0.1 then). */
export function parseListen(value: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`${flag} ${JSON.stringify(value)}: expected host:port, e.g. 127.0.0.1:8080`);
  }
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

export function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} ${JSON.stringify(value)}: expected a whole number above 0`);
  return n;
}

/** A whole number ≥ 0 (0 switches the setting off). */
export function nonNegativeInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`${flag} ${JSON.stringify(value)}: expected a whole number, 0 or more`);
  return n;
}

/**
 * Binds `server`; a listener that cannot bind is a configuration error naming the flag and the
 * address (never a logged error while the command goes on without it).
 */
export async function listen(server: Server, where: { host: string; port: number }, flag: string): Promise<string> {
  try {
    await listenOn(server, where.port, where.host);
  } catch (err) {
    const address = where.host.includes(':') ? `[${where.host}]:${where.port}` : `${where.host}:${where.port}`;
    throw new CliConfigError(`${flag} ${address}: cannot listen there (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); choose a free address, or stop whatever holds it`);
  }
  const a = server.address() as AddressInfo;
  return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
}

/**
 * The /metrics bearer token from the environment. Unset: no auth. Set but empty or blank (an unset
 * variable substituted by a template or a shell) is a configuration error, never a silent "no auth";
 * the handler refuses short tokens itself.
 */
export function bearerTokenFromEnv(variable: string, command: string): MetricsAuth | undefined {
  const token = process.env[variable];
  if (token === undefined) return undefined;
  if (token.trim() === '') {
    throw new CliConfigError(`cors-sentinel ${command}: ${variable} is set but ${token === '' ? 'empty' : 'blank'}, which would leave /metrics without auth; set a token of 16 or more characters (e.g. \`openssl rand -hex 32\`), or unset ${variable} to serve /metrics without auth on purpose`);
  }
  return { bearerToken: token };
}

export type StopSignal = 'SIGTERM' | 'SIGINT';

/**
 * The long-running commands' shutdown: `stop` runs on SIGTERM (an orchestrator, `docker stop`) and on
 * SIGINT (Ctrl-C), once per signal; it decides itself whether and when the process exits.
 */
export function onShutdown(stop: (signal: StopSignal) => unknown): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stop(signal));
}

/** `--probe-key-file FILE` (proxy, logs): the key bytes, or a usage problem naming the file and the fix. */
export function probeKeyFlag(file: string | undefined, problems: string[]): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readProbeKeyFile(file);
  } catch (err) {
    problems.push(`--probe-key-file: ${(err as Error).message}`);
    return undefined;
  }
}
