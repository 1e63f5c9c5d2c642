// Koa 3: mount the middleware first.   node examples/koa/server.js
'use strict';
const Koa = require('koa');
const { koaCorsSentinel } = require('cors-sentinel/koa');

const cors = koaCorsSentinel({ origins: ['https://app.example.com'], exposedHeaders: ['x-request-id'] });
const metrics = cors.metricsHandler();
const app = new Koa();
app.use(cors);
app.use(async (ctx) => {
  if (ctx.path === '/metrics') {
    ctx.respond = false; // the metrics handler writes the response itself
    metrics(ctx.req, ctx.res);
    return;
  }
  ctx.set('x-request-id', '42');
  ctx.body = { path: ctx.path };
});

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
