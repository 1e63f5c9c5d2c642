// Plain node:http: the listener never sees preflights.   node examples/node-http/server.js
'use strict';
const http = require('node:http');
const { corsSentinelHandler } = require('cors-sentinel');

const handler = corsSentinelHandler({ origins: ['https://app.example.com'], credentials: true }, (req, res) => {
  if (req.url === '/metrics') return metrics(req, res);
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ path: req.url }));
});
const metrics = handler.metricsHandler();

const server = http.createServer(handler).listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
