'use strict';
/**
 * One benchmarked server per process: `node bench/server.js KIND PORT`. Every kind serves
 * GET /api/items (a small JSON) under the same CORS policy (bench/policy.js), and those with
 * metrics serve GET /metrics. Prints `ready` on stdout once listening.
 */
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const P = require('./policy');

const [kind, portArg] = process.argv.slice(2);
const port = Number(portArg);

/** Violations are logged through winston as in production, to stderr (the runner sends it to a file). */
function items(_req, res) {
  res.json(JSON.parse(P.BODY));
}

const { ROUTE, rawItems, handWrittenCors, handWrittenFastifyCors } = require('./lib/raw');

function express() {
  const e = require('express');
  const app = e();
  app.disable('x-powered-by');
  return app;
}

function dist() {
  return require('../packages/cors-sentinel/dist/cjs');
}

const KINDS = {
  /** The reference: Express 5, one route. OPTIONS is Express's own automatic answer. */
  'express'() {
    const app = express();
    app.get(ROUTE, items);
    return app;
  },
  /** What users run today. */
  'express+cors'() {
    const app = express();
    app.use(require('cors')(P.corsOptions()));
    app.get(ROUTE, items);
    return app;
  },
  /**
   * The floor for any CORS middleware: the same policy written by hand, with no checks beyond a Set
   * lookup, setting the same response headers. What is left between this and bare Express is the
   * cost of an Express middleware layer and of the headers themselves.
   */
  'express+hand-written CORS'() {
    const app = express();
    app.use((req, res, next) => {
      if (!handWrittenCors(req, res)) next();
    });
    app.get(ROUTE, items);
    return app;
  },
  /** What users assemble today for "CORS + metrics". */
  'express+cors+prom-bundle'() {
    const app = express();
    app.use(require('express-prom-bundle')({ includeMethod: true, includePath: true, includeStatusCode: true }));
    app.use(require('cors')(P.corsOptions()));
    app.get(ROUTE, items);
    return app;
  },
  /** cors-sentinel enforce mode, static allowlist, metrics and violation log on. */
  'sentinel'() {
    const app = express();
    const cors = dist().corsSentinel(P.sentinelOptions());
    app.use(cors);
    app.get(ROUTE, items);
    app.get('/metrics', cors.metricsHandler());
    return app;
  },
  /** cors-sentinel with the origins behind an async per-tenant resolver (cached answers). */
  'sentinel+resolver'() {
    const app = express();
    const cors = dist().corsSentinel(P.resolverOptions());
    app.use(cors);
    app.get(ROUTE, items);
    app.get('/metrics', cors.metricsHandler());
    return app;
  },
  /** cors-sentinel's observer auditing the `cors` package that users already run. */
  'observer+cors'() {
    const app = express();
    const observer = dist().corsObserver({ expectedOrigins: P.ORIGINS });
    app.use(observer);
    app.use(require('cors')(P.corsOptions()));
    app.get(ROUTE, items);
    app.get('/metrics', observer.metricsHandler());
    return app;
  },
  /** A naive "CORS + metrics": a counter labelled with the raw Origin (the anti-pattern, flood only). */
  'naive-origin-label'() {
    const client = require('prom-client');
    const registry = new client.Registry();
    const counter = new client.Counter({ name: 'naive_requests_total', help: 'x', labelNames: ['origin'], registers: [registry] });
    const app = express();
    app.use((req, _res, next) => {
      if (req.headers.origin !== undefined) counter.inc({ origin: req.headers.origin });
      next();
    });
    app.use(require('cors')(P.corsOptions()));
    app.get(ROUTE, items);
    app.get('/metrics', async (_req, res) => {
      res.set('Content-Type', registry.contentType).send(await registry.metrics());
    });
    return app;
  },
  /** The Node ceiling: raw node:http with the same CORS semantics written by hand. */
  'node:http'() {
    return http.createServer((req, res) => {
      if (!handWrittenCors(req, res)) rawItems(req, res);
    });
  },
  /** cors-sentinel's node:http entry point around the same hand-written handler. */
  'sentinel node:http'() {
    const { corsSentinelHandler } = dist();
    const handler = corsSentinelHandler(P.sentinelOptions(), (req, res) => {
      if (req.url === '/metrics') return metrics(req, res);
      rawItems(req, res);
    });
    const metrics = handler.metricsHandler();
    return http.createServer(handler);
  },
  /** The same with the evidence ledger on (docs/evidence.md), written to a temporary directory. */
  'sentinel node:http, evidence'() {
    const { corsSentinelHandler } = dist();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-evidence-'));
    const handler = corsSentinelHandler(P.sentinelOptions({ evidence: { file: path.join(dir, 'cors-evidence.json') } }), (req, res) => {
      if (req.url === '/metrics') return metrics(req, res);
      rawItems(req, res);
    });
    const metrics = handler.metricsHandler();
    return http.createServer(handler);
  },
};

/**
 * A Fastify app on a node:http server of ours (serverFactory), so that the runner starts every kind alike.
 * Each kind loads its plugins before calling this, as an app's top-level imports load them before
 * `fastify()`: loaded after it, the plugin's modules left V8 on a slow path in `process.nextTick`
 * (+0.4–0.5 µs per request; docs/BENCHMARKS.md, "Sampled natively").
 */
async function fastifyServer(setup) {
  let server;
  const app = require('fastify')({ serverFactory: (handler) => (server = http.createServer(handler)) });
  await setup(app);
  app.get(ROUTE, async () => JSON.parse(P.BODY));
  await app.ready();
  return server;
}

Object.assign(KINDS, {
  /** Bare Fastify 5, the Fastify reference. OPTIONS without a route: Fastify's own 404. */
  'fastify'() {
    return fastifyServer(async () => undefined);
  },
  /** What Fastify users run today. */
  'fastify+@fastify/cors'() {
    const cors = require('@fastify/cors'); // before fastify(), as an app's imports are (see fastifyServer)
    return fastifyServer((app) => app.register(cors, P.corsOptions()));
  },
  /** "CORS + metrics" in Fastify today: @fastify/cors and fastify-metrics (per-route histograms). */
  'fastify+@fastify/cors+fastify-metrics'() {
    const [metrics, cors] = [require('fastify-metrics'), require('@fastify/cors')];
    return fastifyServer(async (app) => {
      await app.register(metrics, { endpoint: '/metrics' });
      await app.register(cors, P.corsOptions());
    });
  },
  /** The policy by hand in one `onRequest` hook on the root instance (bench/lib/raw.js): the Fastify floor. */
  'fastify+hand-written CORS'() {
    return fastifyServer(async (app) => app.addHook('onRequest', handWrittenFastifyCors));
  },
  /** cors-sentinel's Fastify plugin, static allowlist, metrics and violation log on. */
  'sentinel fastify'() {
    const { fastifyCorsSentinel } = require('../packages/cors-sentinel/dist/cjs/adapters/fastify');
    return fastifyServer(async (app) => {
      await app.register(fastifyCorsSentinel, P.sentinelOptions());
      const metrics = app.corsSentinel.metricsHandler();
      app.get('/metrics', (request, reply) => { reply.hijack(); metrics(request.raw, reply.raw); });
    });
  },
  /** The plugin with metrics and the violation log off: its request path alone (issue #32). */
  'sentinel fastify, no recording'() {
    const { fastifyCorsSentinel } = require('../packages/cors-sentinel/dist/cjs/adapters/fastify');
    return fastifyServer((app) => app.register(fastifyCorsSentinel, P.sentinelOptions({ metrics: false, logger: false })));
  },
  /** Bare Koa 3 with one route. */
  'koa'() {
    return koaApp(undefined);
  },
  /** The policy by hand as the first Koa middleware (bench/lib/raw.js, the node:http handler's headers). */
  'koa+hand-written CORS'() {
    return koaApp(async (ctx, next) => {
      if (!handWrittenCors(ctx.req, ctx.res)) await next();
    });
  },
  /** cors-sentinel's Koa middleware in front of the same route. */
  'sentinel koa'() {
    return koaApp(require('../packages/cors-sentinel/dist/cjs/adapters/koa').koaCorsSentinel(P.sentinelOptions()));
  },
});

function koaApp(cors) {
  const Koa = require('koa');
  const app = new Koa();
  if (cors) app.use(cors);
  app.use(async (ctx) => {
    if (ctx.path === ROUTE && ctx.method === 'GET') ctx.body = JSON.parse(P.BODY);
  });
  return app.callback();
}

// Extra kinds for an experiment (a module exporting { name: () => server | app }), e.g. a variant of a plugin.
if (process.env.BENCH_EXTRA_KINDS) Object.assign(KINDS, require(process.env.BENCH_EXTRA_KINDS));

const make = KINDS[kind];
if (!make) {
  console.error(`unknown server kind ${kind}; one of: ${Object.keys(KINDS).join(', ')}`);
  process.exit(2);
}
// A control port (PORT + 1000) for the flood phase: a full GC, then this process's memory, so that the
// report can tell retained memory from heap V8 has grown and not returned. Never part of a timed run.
// `/cpu` answers this process's CPU time instead (no GC): server CPU per request (bench/cpu.js).
const control = http.createServer((req, res) => {
  res.setHeader('Content-Type', 'application/json');
  if (req.url === '/cpu') return res.end(JSON.stringify(process.cpuUsage()));
  if (typeof global.gc === 'function') global.gc();
  res.end(JSON.stringify(process.memoryUsage()));
});
Promise.resolve(make()).then((app) => {
  const server = app instanceof http.Server ? app : http.createServer(app);
  // BENCH_KEEP_ALIVE_MS: bench:instructions keeps idle pools for minutes under callgrind; a server closing
  // one while the client reuses it resets the request ("socket hang up").
  server.keepAliveTimeout = Number(process.env.BENCH_KEEP_ALIVE_MS ?? 60_000);
  control.listen(port + 1000, '127.0.0.1');
  server.listen(port, '127.0.0.1', () => {
    if (process.env.BENCH_FULL_GC !== '0') fullGc();
    process.stdout.write('ready\n');
  });
});

/**
 * One full GC before the first request, as every long-running server has had one (V8's memory reducer
 * runs one when a process idles; a large start-up triggers one on its own). It decides which V8 state the
 * servers are measured in, and it differs between kinds without it: after a full GC that finds no tick
 * object alive, the object literal in Node's `process.nextTick` defines its symbol keys through the
 * runtime for the rest of the process (+4 to +15 µs per request on Node 20, 22 and 24). A small app
 * (bare Fastify + @fastify/cors) had no full GC at start-up and ran without it; one that loads a few MB
 * more (any real app; cors-sentinel's modules) had one and ran with it, so comparisons measured that
 * V8 state, not the CORS layers. With one full GC in every kind, all start alike (docs/BENCHMARKS.md,
 * issue #32). BENCH_FULL_GC=0 leaves start-up as it is.
 */
function fullGc() {
  if (typeof global.gc !== 'function') {
    require('node:v8').setFlagsFromString('--expose-gc');
    global.gc = require('node:vm').runInNewContext('gc');
  }
  global.gc();
}
process.on('SIGTERM', () => process.exit(0));
