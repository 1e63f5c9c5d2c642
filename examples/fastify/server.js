// Fastify 5: preflights answered in onRequest, before routes and auth.   node examples/fastify/server.js
'use strict';
const Fastify = require('fastify');
const { fastifyCorsSentinel } = require('cors-sentinel/fastify');

async function main() {
  const app = Fastify();
  await app.register(fastifyCorsSentinel, { origins: ['https://app.example.com'], credentials: true, maxAge: 600 });
  const metrics = app.corsSentinel.metricsHandler();
  app.get('/metrics', (request, reply) => {
    reply.hijack();
    metrics(request.raw, reply.raw);
  });
  app.put('/api/items/:id', async (request) => ({ id: request.params.id }));
  const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
  console.log(`listening on ${address}`);
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
