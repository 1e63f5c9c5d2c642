// Express: cors-sentinel before routes and auth, /metrics beside them.   node examples/express/server.js
'use strict';
const express = require('express');
const { corsSentinel } = require('cors-sentinel');

const cors = corsSentinel({
  origins: ['https://app.example.com', 'https://*.preview.example.com'],
  credentials: true,
  maxAge: 600,
  routes: [{ path: '/public/*', name: 'public', origins: '*', credentials: false }],
});

const app = express();
app.use(cors); // first: preflights are answered here, before auth
app.get('/metrics', cors.metricsHandler()); // protect it in production: metricsHandler({ auth })
app.get('/api/items', (_req, res) => res.json([{ id: 1 }]));
app.get('/public/status', (_req, res) => res.json({ ok: true }));

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
