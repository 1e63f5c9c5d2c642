// A policy kept in YAML (validated by `npx @cors-sentinel/cli check examples/policy-file/cors.yaml`).
//   node examples/policy-file/server.js
'use strict';
const path = require('node:path');
const express = require('express');
const { corsSentinel, loadPolicyFile } = require('cors-sentinel');

const cors = corsSentinel(loadPolicyFile(path.join(__dirname, 'cors.yaml')));
const app = express();
app.use(cors);
app.get('/metrics', cors.metricsHandler());
app.get('/api/account/me', (_req, res) => res.json({ me: true }));
app.use((_req, res) => res.json({ ok: true }));

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
