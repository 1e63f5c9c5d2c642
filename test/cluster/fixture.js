'use strict';
// A clustered API for the cluster test: a primary serving the aggregated /metrics and N workers
// sharing one port, each behind cors-sentinel with metrics: { cluster: true }.
const cluster = require('node:cluster');
const express = require('express');
const { corsSentinel, clusterMetrics } = require('../../packages/cors-sentinel/dist/cjs/index.js');

const WORKERS = Number(process.env.WORKERS || 2);
const LIMIT = Number(process.env.LABEL_LIMIT || 5);
const HOLD_MS = Number(process.env.HOLD_MS || 60000);

if (cluster.isPrimary) {
  void (async () => {
    const metrics = await clusterMetrics({ port: 0, originLabelLimit: LIMIT, originLabelHoldMs: HOLD_MS });
    let listening = 0;
    for (let i = 0; i < WORKERS; i++) {
      cluster.fork().on('message', (msg) => {
        if (msg && msg.type === 'listening' && ++listening === WORKERS) {
          console.log(`READY api=${msg.port} metrics=${metrics.server.address().port}`);
        }
      });
    }
    process.on('SIGTERM', () => {
      for (const worker of Object.values(cluster.workers)) worker.kill();
      void metrics.close().then(() => process.exit(0));
    });
  })();
} else {
  const app = express();
  app.use(corsSentinel({ origins: ['https://app.example.com'], logger: false, metrics: { cluster: true, originLabelLimit: LIMIT, originLabelHoldMs: HOLD_MS } }));
  app.get('/x', (_req, res) => {
    res.set('X-Worker', String(cluster.worker.id)).json({});
  });
  // Port 0 in a worker: the primary picks one port for all workers.
  const server = app.listen(0, '127.0.0.1', () => process.send({ type: 'listening', port: server.address().port }));
}
