/**
 * CORS decisions on the active span, over real sockets: a real tracer (SDK BasicTracerProvider, async
 * context through AsyncLocalStorage) opens a span per request around the node:http handler, and the
 * finished spans are read back from an in-memory exporter.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, trace, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { corsSentinelHandler } from '../../packages/cors-sentinel/src/adapters/node';
import { createSpanAnnotator } from '../../packages/cors-sentinel/src/metrics/span-attributes';
import { listen, send } from '../support/http';
import type { Listening } from '../browser/servers';

describe('CORS decisions on the active span', () => {
  const spans = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).getTracer('test');
  const contextManager = new AsyncLocalStorageContextManager().enable();
  const handler = corsSentinelHandler(
    { origins: ['https://app.example.com'], methods: ['GET', 'PUT'], logger: false, metrics: false, routes: [{ path: '/admin/*', name: 'admin', origins: ['https://admin.example.com'] }] },
    (_req, res) => res.end('ok'),
  );
  let server: Listening;

  /** One span per request around the sentinel, as an HTTP instrumentation would open it. */
  function traced(req: IncomingMessage, res: ServerResponse): void {
    const span = tracer.startSpan(`${req.method} ${req.url}`);
    res.on('finish', () => span.end());
    context.with(trace.setSpan(context.active(), span), () => handler(req, res));
  }

  beforeAll(async () => {
    context.setGlobalContextManager(contextManager);
    server = await listen(traced);
  });
  afterAll(async () => {
    handler.close();
    await server.close();
    context.disable();
  });
  beforeEach(() => spans.reset());

  async function spanOf(path: string, headers: Record<string, string>, method = 'GET') {
    await send(server.port, path, headers, method);
    const [span] = spans.getFinishedSpans();
    if (span === undefined) throw new Error('no span finished');
    return span;
  }

  it('records an allowed request with its origin', async () => {
    const span = await spanOf('/items', { Origin: 'https://app.example.com' });
    expect(span.attributes).toEqual({ 'cors.outcome': 'allowed', 'cors.route': 'default', 'cors.request_type': 'actual', 'cors.origin': 'https://app.example.com' });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('records a rejected preflight with its reason and no error status', async () => {
    const span = await spanOf('/items', { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'DELETE' }, 'OPTIONS');
    expect(span.attributes).toMatchObject({ 'cors.outcome': 'rejected', 'cors.reason': 'method_not_allowed', 'cors.request_type': 'preflight', 'cors.origin': 'https://app.example.com' });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("never puts an attacker's origin on the span: an unknown rejected origin is left out", async () => {
    const span = await spanOf('/admin/users', { Origin: 'https://evil.attacker.test' });
    expect(span.attributes).toEqual({ 'cors.outcome': 'rejected', 'cors.reason': 'origin_not_allowed', 'cors.route': 'admin', 'cors.request_type': 'actual' });
    // An unparseable origin appears as its metric label, never as sent.
    spans.reset();
    const invalid = await spanOf('/items', { Origin: 'https://<script>' });
    expect(invalid.attributes).toMatchObject({ 'cors.reason': 'invalid_origin', 'cors.origin': '__invalid__' });
  });

  it('adds nothing to requests without CORS', async () => {
    const span = await spanOf('/items', {});
    expect(span.attributes).toEqual({});
  });

  it('without @opentelemetry/api nothing runs per request; with no active span nothing is touched', () => {
    expect(createSpanAnnotator(() => false, null)).toBeUndefined();
    let asked = 0;
    const annotate = createSpanAnnotator(() => true, { trace: { getActiveSpan: () => (asked++, undefined) } });
    const decision = { route: 'default', requestType: 'actual', outcome: 'allowed', origin: 'https://a.example' } as never;
    annotate?.(decision);
    expect(asked).toBe(1); // the suite's context manager is registered
    context.disable();
    annotate?.(decision);
    expect(asked).toBe(1); // none registered: not even the context is looked up
    context.setGlobalContextManager(contextManager);
  });
});
