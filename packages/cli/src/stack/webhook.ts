/**
 * A stand-in for a paging service: receives Alertmanager webhook notifications and logs one line
 * per alert, so that the demo shows an alert travelling from a rule to "on-call". The receiver
 * path (`/alerts` for pages, `/default` for warnings) is the Alertmanager receiver it came through.
 * `GET /received` returns the notifications kept in memory (last 200), for tests and curious users.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { parseArgs } from 'node:util';
import { nodeRoutingPath } from 'cors-sentinel/internal/http/routing-path';
import { listen, onShutdown, parseListen } from '../cli-args';

export interface ReceivedAlert {
  readonly receivedAt: string;
  readonly path: string;
  readonly status: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

interface WebhookPayload {
  readonly receiver?: string;
  readonly alerts?: ReadonlyArray<{ status?: string; labels?: Record<string, string>; annotations?: Record<string, string> }>;
}

const MAX_BODY = 1 << 20;
const KEEP = 200;

/** Single-line, printable: label values come from metrics and must not forge log lines. */
// eslint-disable-next-line @typescript-eslint/no-base-to-string -- any JSON value may arrive; its text form is only ever logged
const clean = (s: unknown): string => String(s ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 300);

export function formatAlert(a: ReceivedAlert): string {
  const { alertname, severity, ...rest } = a.labels;
  const where = Object.entries(rest)
    .filter(([k]) => k !== 'alertname')
    .map(([k, v]) => `${k}=${clean(v)}`)
    .join(' ');
  const page = a.path === '/alerts' ? 'PAGE' : 'notify';
  return `${a.receivedAt} ${page} ${a.status.toUpperCase()} [${clean(severity)}] ${clean(alertname)} ${where} :: ${clean(a.annotations.summary)}`;
}

export function createWebhookServer(log: (line: string) => void = (l) => console.log(l)): { server: Server; received: ReceivedAlert[] } {
  const received: ReceivedAlert[] = [];
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/healthz') return void res.end('ok\n');
    if (req.method === 'GET' && req.url === '/received') {
      res.setHeader('content-type', 'application/json');
      return void res.end(JSON.stringify(received));
    }
    if (req.method !== 'POST') {
      res.statusCode = 405;
      return void res.end();
    }
    readBody(req)
      .then((body) => {
        const payload = JSON.parse(body) as WebhookPayload;
        const path = nodeRoutingPath(req.url ?? '/') ?? '/';
        for (const alert of payload.alerts ?? []) {
          const entry: ReceivedAlert = {
            receivedAt: new Date().toISOString(),
            path,
            status: clean(alert.status ?? 'unknown'),
            labels: { ...alert.labels },
            annotations: { ...alert.annotations },
          };
          received.push(entry);
          if (received.length > KEEP) received.shift();
          log(formatAlert(entry));
        }
        res.end('ok\n');
      })
      .catch((err: unknown) => {
        res.statusCode = 400;
        res.end(`bad request: ${clean(err instanceof Error ? err.message : err)}\n`);
      });
  });
  return { server, received };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const HELP = `usage: cors-sentinel stack webhook [--host 127.0.0.1] [--port 9099]

An on-call webhook receiver for Alertmanager: logs one line per alert it receives
(POST /alerts: pages, POST /default: warnings); GET /received lists them as JSON.`;

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
      port: { type: 'string', default: process.env.PORT ?? '9099' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return void console.log(HELP);
  const where = parseListen(`${values.host.includes(':') ? `[${values.host}]` : values.host}:${values.port}`, '--host/--port');
  const { server } = createWebhookServer();
  // Like every long-running command: a port that cannot be bound is exit code 2 naming it, never a stack.
  const url = await listen(server, where, '--port');
  console.log(`on-call webhook receiver listening on ${url}`);
  await new Promise<void>((resolve) => {
    const stop = (): void => void server.close(() => resolve());
    onShutdown(stop);
  });
}
