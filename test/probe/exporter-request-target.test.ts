/**
 * `GET http://[ HTTP/1.1` made the exporter's `new URL()` throw inside its listener, which ended
 * `cors-sentinel probe --serve` (issue 23 §2). A target the URL parser rejects is now a 400.
 */
import type { AddressInfo } from 'node:net';
import { parseExporterConfig } from '../../packages/cli/src/probe/config';
import { startExporter } from '../../packages/cli/src/probe/exporter';
import { rawExchange } from '../support/exchange';

it.each(['http://[', 'http://[/probe?target=x&module=web', 'http://a:99999999/'])('answers GET %s with 400 and keeps serving', async (target) => {
  const config = parseExporterConfig({ modules: { web: { siteOrigin: 'https://app.example.com' } }, targets: [{ url: 'http://127.0.0.1:9/api', modules: ['web'] }] });
  const exporter = await startExporter(config, '127.0.0.1', 0);
  try {
    const port = (exporter.server.address() as AddressInfo).port;
    const answer = (await rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`)).toString('latin1');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect((await rawExchange(port, 'GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')).toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
  } finally {
    exporter.server.closeAllConnections();
    await exporter.close();
  }
});
