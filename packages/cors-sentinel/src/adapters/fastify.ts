/**
 * Fastify 5 plugin (`cors-sentinel/fastify`): preflights are answered in `onRequest`, before routing
 * to handlers, auth hooks, body parsing and Fastify's own 404 for a path without an OPTIONS route.
 * Wrapped with fastify-plugin, so the hook applies to the context it is registered in and its
 * children, 404s included when registered at the root.
 *
 *     await app.register(fastifyCorsSentinel, { origins: ['https://app.example.com'], credentials: true });
 *     const metrics = app.corsSentinel.metricsHandler();
 *     app.get('/metrics', (request, reply) => { reply.hijack(); metrics(request.raw, reply.raw); });
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import vary from 'vary';
import type { Decision, HeaderPair } from '../engine/decision';
import type { CorsSentinelOptions } from '../policy/options';
import type { ResponseWriter } from '../port';
import { createObserver, type CorsObserverOptions, type Observer } from '../observer/observer';
import { observeResponse } from './express-observer';
import { createSentinel, type Sentinel } from '../sentinel';
import { fastifyPathReader, type FastifyRouterFlags, type PathReader } from '../http/routing-path';
import { corsRequestOf } from './node-request';
import { varyValue } from './node-response';

declare module 'fastify' {
  interface FastifyInstance {
    /** The sentinel of the cors-sentinel plugin: metrics, explain, close. */
    corsSentinel: Sentinel;
    /** The observer of the cors-sentinel observer plugin. */
    corsObserver: Observer;
  }
}

type Done = (err?: Error) => void;

/**
 * The Vary fields of the decision applied to a reply, and the Vary value written: re-appended in onSend
 * if a route replaced it. Declared with decorateReply, so that Fastify's Reply constructor creates every
 * reply with both slots: a property added to some replies only would give Fastify's own hot path two
 * reply shapes to handle on every request.
 */
const VARY_FIELDS = Symbol('cors-sentinel.vary');
const VARY_WRITTEN = Symbol('cors-sentinel.vary-written');
type ReplyWithVary = FastifyReply & { [VARY_FIELDS]: readonly string[] | null; [VARY_WRITTEN]: string | null };

// Fastify buffers headers on the reply and writes them with writeHead: set them there, or a route's own
// `reply.header('Vary', …)` would replace ours.
const writer: ResponseWriter<FastifyReply, Done, void> = {
  committed: (reply) => reply.sent || reply.raw.headersSent,
  // Fastify's hasHeader looks on the reply, then on the raw ServerResponse.
  allowOriginSet: (reply) => reply.hasHeader('access-control-allow-origin'),
  writeHeaders(reply, d: Decision) {
    if (d.vary.length > 0) {
      // A handler's reply.header('Vary', …) replaces the header: appended again in onSend.
      (reply as ReplyWithVary)[VARY_FIELDS] = d.vary;
      (reply as ReplyWithVary)[VARY_WRITTEN] = appendVary(reply, d.vary);
    }
    for (let i = 0; i < d.headers.length; i++) {
      const header = d.headers[i] as HeaderPair;
      reply.header(header[0], header[1]);
    }
  },
  end: (reply, status) => void reply.code(status).header('Content-Length', '0').send(),
  pass: (_reply, done) => done(),
};

/** Puts the Vary fields back when the route replaced the header we wrote (the common case: untouched). */
function keepVary(_request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void {
  const r = reply as ReplyWithVary;
  const fields = r[VARY_FIELDS];
  if (fields !== null && reply.getHeader('vary') !== r[VARY_WRITTEN]) r[VARY_WRITTEN] = appendVary(reply, fields);
  done(null, payload);
}

/** Appends `fields` to the reply's Vary header; returns the value written. */
function appendVary(reply: FastifyReply, fields: readonly string[]): string {
  const existing = reply.getHeader('vary');
  const value = existing === undefined ? varyValue(fields) : vary.append(String(existing), fields as string[]);
  reply.header('Vary', value);
  return value;
}

/**
 * The path this instance's find-my-way routes on (src/http/routing-path.ts): its router options read
 * from `initialConfig` — `routerOptions` and the deprecated top-level spellings, either of which turns
 * a normalisation on (initialConfig fills defaults in, so an explicit `false` beside a top-level `true`
 * cannot be told apart: the plugin then normalises, which judges the path Fastify would route too).
 */
export function fastifyReader(fastify: FastifyInstance): PathReader {
  const config = (fastify.initialConfig ?? {}) as FastifyRouterFlags & { routerOptions?: FastifyRouterFlags };
  const router = config.routerOptions ?? {};
  return fastifyPathReader({
    ignoreDuplicateSlashes: router.ignoreDuplicateSlashes === true || config.ignoreDuplicateSlashes === true,
    ignoreTrailingSlash: router.ignoreTrailingSlash === true || config.ignoreTrailingSlash === true,
    useSemicolonDelimiter: router.useSemicolonDelimiter === true || config.useSemicolonDelimiter === true,
  });
}

/** The target Fastify routed (after `rewriteUrl`, which rewrites `raw.url`). */
function targetOf(request: FastifyRequest): string {
  return request.raw.url ?? request.url;
}

/** Ends a request whose target find-my-way would not route: 400, empty body, before any handler. */
function refuse(reply: FastifyReply): void {
  void reply.code(400).header('Content-Length', '0').header('Connection', 'close').send();
}

function corsSentinelPlugin(fastify: FastifyInstance, options: CorsSentinelOptions, next: Done): void {
  let sentinel: Sentinel;
  try {
    sentinel = createSentinel(options);
  } catch (err) {
    next(err as Error); // a CorsConfigError fails `register()`/`ready()` with every problem listed
    return;
  }
  fastify.decorate('corsSentinel', sentinel);
  fastify.decorateReply(VARY_FIELDS, null);
  fastify.decorateReply(VARY_WRITTEN, null);
  const read = fastifyReader(fastify);
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: Done) => {
    const url = targetOf(request);
    const path = read(url);
    if (path === undefined) return refuse(reply);
    void sentinel.serve(corsRequestOf(request.raw.method, request.headers, url, request, path), reply, done, writer);
  });
  fastify.addHook('onSend', keepVary);
  fastify.addHook('onClose', (_instance, done) => {
    sentinel.close();
    done();
  });
  next();
}

/** The plugin: `app.register(fastifyCorsSentinel, options)` with the options of `corsSentinel()`. */
export const fastifyCorsSentinel = fp(corsSentinelPlugin, { fastify: '5.x', name: 'cors-sentinel' });

function corsObserverPlugin(fastify: FastifyInstance, options: CorsObserverOptions, next: Done): void {
  let observer: Observer;
  try {
    observer = createObserver(options);
  } catch (err) {
    next(err as Error);
    return;
  }
  fastify.decorate('corsObserver', observer);
  const read = fastifyReader(fastify);
  // Registered before the CORS layer it audits (e.g. @fastify/cors); it reads the headers as they are written.
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: Done) => {
    const url = targetOf(request);
    const path = read(url);
    // Observer mode changes no response: a target find-my-way would not route is left to Fastify, unobserved.
    if (path !== undefined) observeResponse(observer, () => corsRequestOf(request.method, request.headers, url, request, path), reply.raw);
    done();
  });
  fastify.addHook('onClose', (_instance, done) => {
    observer.close();
    done();
  });
  next();
}

/** Observer mode: `app.register(fastifyCorsObserver, { expectedOrigins })` before the CORS plugin it audits. */
export const fastifyCorsObserver = fp(corsObserverPlugin, { fastify: '5.x', name: 'cors-sentinel-observer' });
