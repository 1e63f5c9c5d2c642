// A local MCP-style server (Streamable-HTTP-like JSON-RPC on POST /mcp) that web pages cannot drive.
//   node examples/mcp-local/server.js
//
// The `localServer` preset refuses, with 403 and before this listener runs:
// - DNS rebinding: a Host other than localhost / 127.0.0.1 / [::1] (or MCP_ALLOWED_HOSTS) with this port;
// - any present Origin that is not listed (MCP_ALLOWED_ORIGINS, default the MCP Inspector's), on every
//   method — the MCP specification's "servers MUST validate the Origin header";
// - cross-site form POSTs and no-cors fetches (cross-origin protection, enforce mode).
// Clients that send no Origin (the SDKs, CLIs, desktop apps) are served.
'use strict';
const http = require('node:http');
const { randomUUID } = require('node:crypto');
const { corsSentinelHandler } = require('cors-sentinel');

const list = (value, fallback) => (value ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);

const TOOLS = [{ name: 'echo', description: 'Echoes its text', inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } }];
const sessions = new Set();

/** One JSON-RPC request → its response (undefined for notifications). */
function rpc(message, sessionId) {
  const { id, method, params } = message;
  if (id === undefined) return undefined;
  switch (method) {
    case 'initialize':
      return { jsonrpc: '2.0', id, result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'cors-sentinel-example', version: '1.0.0' } } };
    case 'tools/list':
      return { jsonrpc: '2.0', id, result: { tools: TOOLS } };
    case 'tools/call':
      if (params?.name !== 'echo' || typeof params.arguments?.text !== 'string') return { jsonrpc: '2.0', id, error: { code: -32602, message: 'unknown tool or bad arguments' } };
      return { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: params.arguments.text }], sessionId } };
    default:
      return { jsonrpc: '2.0', id, error: { code: -32601, message: 'method not found' } };
  }
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

function readJson(req, limit, done) {
  let size = 0;
  const chunks = [];
  req.on('data', (c) => {
    size += c.length;
    if (size > limit) req.destroy();
    else chunks.push(c);
  });
  req.on('end', () => {
    try {
      done(undefined, JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch (err) {
      done(err);
    }
  });
}

function mcp(req, res) {
  if (req.method === 'DELETE') {
    sessions.delete(req.headers['mcp-session-id']);
    return send(res, 204);
  }
  // This example streams nothing: no SSE stream on GET.
  if (req.method !== 'POST') return send(res, 405, undefined, { Allow: 'POST, DELETE' });
  readJson(req, 1_000_000, (err, message) => {
    if (err || typeof message !== 'object' || message === null) return send(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } });
    let sessionId = req.headers['mcp-session-id'];
    if (message.method === 'initialize') sessions.add((sessionId = randomUUID()));
    else if (!sessions.has(sessionId)) return send(res, 404, { jsonrpc: '2.0', id: message.id ?? null, error: { code: -32001, message: 'unknown session' } });
    const answer = rpc(message, sessionId);
    if (answer === undefined) return send(res, 202);
    send(res, 200, answer, { 'Mcp-Session-Id': sessionId });
  });
}

const handler = corsSentinelHandler(
  {
    localServer: {
      allowedOrigins: list(process.env.MCP_ALLOWED_ORIGINS, 'http://localhost:6274'),
      allowedHosts: list(process.env.MCP_ALLOWED_HOSTS, ''),
    },
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: ['content-type', 'accept', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id'],
    exposedHeaders: ['mcp-session-id'],
  },
  (req, res) => {
    const path = req.url.split('?')[0];
    if (path === '/mcp') return mcp(req, res);
    if (path === '/metrics') return metrics(req, res);
    send(res, 404, { error: 'not found' });
  },
);
const metrics = handler.metricsHandler();

// Loopback only: a local server has no business on other interfaces.
const server = http.createServer(handler).listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
