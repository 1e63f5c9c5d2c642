// Observer mode: audit an existing CORS layer (here the `cors` package) without changing a byte, and
// count what a stricter candidate policy would change.   node examples/observer/server.js
'use strict';
const express = require('express');
const legacyCors = require('cors');
const { corsObserver } = require('cors-sentinel');

const observer = corsObserver({
  expectedOrigins: ['https://app.example.com'],
  reportOnly: { origins: ['https://app.example.com'], credentials: true },
});

const app = express();
app.get('/metrics', observer.metricsHandler());
app.use(observer); // before the layer it audits
app.use(legacyCors({ origin: true, credentials: true })); // reflects every origin: the audit will say so
app.get('/api/me', (_req, res) => res.json({ user: 'someone' }));

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
