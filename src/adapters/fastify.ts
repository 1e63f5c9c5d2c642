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
import { observeResponse } from '../observer/middleware';
import { createSentinel, type Sentinel } from '../sentinel';
import { corsRequestOf, routingPath } from './node-request';
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

/** The Vary fields of the decision applied to a reply, and the Vary value written: re-appended in onSend if it changed. */
const VARY_FIELDS = Symbol('cors-sentinel.vary');
const VARY_WRITTEN = Symbol('cors-sentinel.vary-written');
type ReplyWithVary = FastifyReply & { [VARY_FIELDS]?: readonly string[]; [VARY_WRITTEN]?: string };

// Fastify buffers headers on the reply and writes them with writeHead: set them there, or a route's own
// `reply.header('Vary', …)` would replace ours.
const writer: ResponseWriter<FastifyReply, Done, void> = {
  committed: (reply) => reply.sent || reply.raw.headersSent,
  allowOriginSet: (reply) => reply.hasHeader('access-control-allow-origin') || reply.raw.hasHeader('access-control-allow-origin'),
  writeHeaders(reply: ReplyWithVary, d: Decision) {
    if (d.vary.length > 0) {
      // A handler's reply.header('Vary', …) replaces the header: appended again in onSend.
      reply[VARY_FIELDS] = d.vary;
      reply[VARY_WRITTEN] = appendVary(reply, d.vary);
    }
    for (let i = 0; i < d.headers.length; i++) {
      const header = d.headers[i] as HeaderPair;
      reply.header(header[0], header[1]);
    }
  },
  end: (reply, status) => void reply.code(status).header('Content-Length', '0').send(),
  pass: (_reply, done) => done(),
};

/** Appends `fields` to the reply's Vary header; returns the value written. */
function appendVary(reply: FastifyReply, fields: readonly string[]): string {
  const existing = reply.getHeader('vary');
  const value = existing === undefined ? varyValue(fields) : vary.append(String(existing), fields as string[]);
  reply.header('Vary', value);
  return value;
}

/**
 * The path find-my-way routes on: the pathname (absolute-form targets included), percent-decoded
 * except for reserved characters — which is exactly what decodeURI leaves encoded — so that
 * `/api/%61ccount/me`, which Fastify routes to `/api/account/me`, gets that route's CORS policy.
 */
function fastifyPath(url: string): string | undefined {
  const path = routingPath(url);
  if (path === undefined || path.indexOf('%') === -1) return path;
  try {
    return decodeURI(path);
  } catch {
    return path; // find-my-way answers 400 to a malformed escape: no route runs
  }
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
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: Done) => {
    const url = request.raw.url ?? request.url;
    const corsRequest = corsRequestOf(request.method, request.headers, url, request, fastifyPath(url));
    if (corsRequest === undefined) return writer.end(reply, 400); // no routable path: 400 before any handler
    void sentinel.serve(corsRequest, reply, done, writer);
  });
  fastify.addHook('onSend', (_request, reply: ReplyWithVary, payload, done) => {
    const fields = reply[VARY_FIELDS];
    // Untouched since we wrote it (the common case): nothing to parse again.
    if (fields !== undefined && reply.getHeader('vary') !== reply[VARY_WRITTEN]) reply[VARY_WRITTEN] = appendVary(reply, fields);
    done(null, payload);
  });
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
  // Registered before the CORS layer it audits (e.g. @fastify/cors); it reads the headers as they are written.
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: Done) => {
    const url = request.raw.url ?? request.url;
    const corsRequest = corsRequestOf(request.method, request.headers, url, request, fastifyPath(url));
    if (corsRequest === undefined) return writer.end(reply, 400);
    observeResponse(observer, corsRequest, reply.raw);
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
