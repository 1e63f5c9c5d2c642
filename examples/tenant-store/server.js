// Per-tenant origins from a store, tenant bound by the path (/t/<tenant>/...), so a cross-site page
// cannot re-point it.   node examples/tenant-store/server.js
// In production use PostgresOriginStore or RedisOriginStore; MemoryOriginStore has the same interface.
'use strict';
const express = require('express');
const { corsSentinel, MemoryOriginStore } = require('cors-sentinel');

const store = new MemoryOriginStore({ acme: ['https://acme.example'], globex: ['https://app.globex.example'] });
const cors = corsSentinel({
  origins: ['https://app.example.com'],
  originStore: store,
  tenantFrom: { path: /^\/t\/([^/]+)\// },
});

const app = express();
app.use(cors);
app.get('/metrics', cors.metricsHandler());
app.get('/t/:tenant/widgets', (req, res) => res.json({ tenant: req.params.tenant }));
// A tenant registers another origin at run time: the store announces the change, the cache drops it.
app.post('/admin/:tenant/origins', express.text(), (req, res) => {
  store.add(req.params.tenant, req.body);
  res.status(204).end();
});

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
