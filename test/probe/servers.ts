/**
 * The real servers the prober is tested against, configured the way their users configure them.
 * Each returns the URL to probe and a stop function.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { startGunicorn } from '../support/gunicorn';
import { startNginx } from '../support/nginx';

export interface TestServer {
  readonly url: string;
  /** Paths (with query) the server saw, when it can tell; proves that only the one URL is contacted. */
  requests(): string[];
  stop(): Promise<void>;
}

/**
 * The article's "production" nginx: `$http_origin` echoed with credentials on preflights and actual
 * responses, a 20-day Max-Age, and no `Vary: Origin`.
 */
export const ARTICLE_NGINX_SERVER = `
    location /api/ {
      if ($request_method = 'OPTIONS') {
        add_header 'Access-Control-Allow-Origin' $http_origin;
        add_header 'Access-Control-Allow-Methods' 'GET, POST, PUT, DELETE, OPTIONS';
        add_header 'Access-Control-Allow-Headers' 'Authorization, Content-Type, X-Tenant-ID';
        add_header 'Access-Control-Allow-Credentials' 'true';
        add_header 'Access-Control-Max-Age' 1728000;
        add_header 'Content-Type' 'text/plain; charset=utf-8';
        add_header 'Content-Length' 0;
        return 204;
      }
      add_header 'Access-Control-Allow-Origin' $http_origin always;
      add_header 'Access-Control-Allow-Credentials' 'true' always;
      add_header 'Access-Control-Expose-Headers' 'X-Request-ID' always;
      default_type application/json;
      return 200 '{"user":"alice"}';
    }`;

export async function articleNginx(): Promise<TestServer> {
  const nginx = await startNginx({ server: ARTICLE_NGINX_SERVER });
  return {
    url: `${nginx.url}/api/me`,
    requests: () => nginx.accessLog().trim().split('\n').filter(Boolean).map((l) => l.split(' ')[1] as string),
    stop: nginx.stop,
  };
}

const FLASK_APP = (cors: string): string => `
from flask import Flask, jsonify, request
from flask_cors import CORS

app = Flask(__name__)
${cors}

@app.route("/api/me", methods=["GET", "HEAD", "POST", "OPTIONS"])
def me():
    return jsonify(user="alice")
`;

/** Flask-CORS with its defaults: \`CORS(app)\` (any origin, no credentials). */
export async function flaskDefault(): Promise<TestServer> {
  return gunicornServer(FLASK_APP('CORS(app)'));
}

/** Flask-CORS with an unanchored, unescaped regular expression and credentials. */
export async function flaskRegexCredentials(): Promise<TestServer> {
  return gunicornServer(FLASK_APP('CORS(app, origins=[r".*example.com"], supports_credentials=True)'));
}

/**
 * Flask-CORS with a one-label subdomain regex and credentials, written the way its docs show
 * (`origins=[r"https://\w+\.example\.com"]`). Flask-CORS matches with `re.match`, anchored at the
 * start only, so the site host followed by an attacker domain passes too.
 */
export async function flaskWordSubdomainCredentials(): Promise<TestServer> {
  return gunicornServer(FLASK_APP('CORS(app, origins=[r"https://\\w+\\.example\\.com"], supports_credentials=True)'));
}

async function gunicornServer(source: string): Promise<TestServer> {
  const g = await startGunicorn({ source });
  return {
    url: `${g.url}/api/me`,
    // gunicorn's access log: 127.0.0.1 - - [date] "GET /api/me HTTP/1.1" 200 …
    requests: () => [...g.output().matchAll(/"[A-Z-]+ (\S+) HTTP\/1\.1"/g)].map((m) => m[1] as string),
    stop: g.stop,
  };
}

/** Listens an Express app on a free port of 127.0.0.1 and records the paths it was asked for. */
export async function listenExpress(app: { listen: (port: number, host: string, cb: () => void) => Server; use: (fn: (req: { originalUrl: string }, res: unknown, next: () => void) => void) => void }, mount: (paths: string[]) => void): Promise<TestServer> {
  const paths: string[] = [];
  mount(paths);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/me`,
    requests: () => paths,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
