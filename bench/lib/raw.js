'use strict';
/** The raw node:http route and the policy written by hand: shared by the servers and the in-process benchmark. */
const P = require('../policy');

const ROUTE = '/api/items';

/** The route for node:http servers. */
function rawItems(req, res) {
  if (req.url === ROUTE && req.method === 'GET') {
    const body = JSON.stringify(JSON.parse(P.BODY));
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
    return;
  }
  res.statusCode = 404;
  res.end();
}

const HAND_WRITTEN = {
  allowed: new Set(P.ORIGINS),
  methods: P.METHODS.join(', '),
  headers: P.ALLOWED_HEADERS.join(', '),
  maxAge: String(P.MAX_AGE),
};

/**
 * The policy written by hand with nothing but a Set lookup, setting the same response headers: the
 * floor for any CORS layer. Returns true when it answered the request itself (a preflight).
 */
function handWrittenCors(req, res) {
  const origin = req.headers.origin;
  const ok = origin !== undefined && HAND_WRITTEN.allowed.has(origin);
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
    res.setHeader('Vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
    if (ok) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', HAND_WRITTEN.methods);
      res.setHeader('Access-Control-Allow-Headers', HAND_WRITTEN.headers);
      res.setHeader('Access-Control-Max-Age', HAND_WRITTEN.maxAge);
    }
    res.statusCode = ok ? 204 : 403;
    res.setHeader('Content-Length', '0');
    res.end();
    return true;
  }
  res.setHeader('Vary', 'Origin');
  if (ok) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
  }
  return false;
}

/**
 * The same policy as a Fastify `onRequest` hook writing through `reply.header` (as @fastify/cors does):
 * the floor for a Fastify CORS plugin. Preflights are answered in the hook.
 */
function handWrittenFastifyCors(request, reply, done) {
  const origin = request.headers.origin;
  const ok = origin !== undefined && HAND_WRITTEN.allowed.has(origin);
  if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
    reply.header('Vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
    if (ok) {
      reply.header('Access-Control-Allow-Origin', origin);
      reply.header('Access-Control-Allow-Credentials', 'true');
      reply.header('Access-Control-Allow-Methods', HAND_WRITTEN.methods);
      reply.header('Access-Control-Allow-Headers', HAND_WRITTEN.headers);
      reply.header('Access-Control-Max-Age', HAND_WRITTEN.maxAge);
    }
    reply.code(ok ? 204 : 403).header('Content-Length', '0').send();
    return;
  }
  reply.header('Vary', 'Origin');
  if (ok) {
    reply.header('Access-Control-Allow-Origin', origin);
    reply.header('Access-Control-Allow-Credentials', 'true');
  }
  done();
}

module.exports = { ROUTE, rawItems, handWrittenCors, handWrittenFastifyCors };
