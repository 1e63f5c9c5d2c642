/** Small helpers shared by the long-running CLI commands (proxy, logs, probe --serve). */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

/**
 * A mistake in a command's flags or arguments: `cors-sentinel` prints the message (no stack) and
 * exits 2, as it does for node:util parseArgs' own errors (unknown flag, missing value).
 */
export class UsageError extends TypeError {
  override readonly name = 'UsageError';
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

export function listen(server: Server, where: { host: string; port: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(where.port, where.host, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      resolve(`http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
    });
  });
}
