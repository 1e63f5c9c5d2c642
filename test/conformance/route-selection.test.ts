/**
 * Attack (#12 item 12): an absolute-form request target, `GET http://host/api/account/me HTTP/1.1`.
 * The framework routes it on `/api/account/me` (the account handler answers); the CORS route must be
 * chosen from that same path, not from the raw target, which used to fall through to the default policy.
 */
import { rawExchange } from '../support/exchange';
import { ADAPTERS } from './servers';

const TENANT = 'https://tenant.example.org';
const POLICY = {
  origins: ['https://app.example.com', TENANT],
  credentials: true,
  routes: [{ path: '/api/account/*', name: 'account', origins: ['https://app.example.com'] }],
};

describe.each(ADAPTERS.map((a) => [a.name, a] as const))('%s: route selection', (_name, adapter) => {
  it.each([
    ['absolute-form', (port: number) => `http://127.0.0.1:${port}/api/account/me`],
    ['absolute-form with a query', (port: number) => `http://127.0.0.1:${port}/api/account/me?x=1`],
    ['origin-form', () => '/api/account/me'],
    ['percent-encoded (Fastify decodes it before routing)', () => '/api/%61ccount/me'],
  ])('%s target: the account handler runs under the account policy', async (_form, target) => {
    const app = await adapter.start(POLICY);
    try {
      const head = `GET ${target(app.port)} HTTP/1.1\r\nHost: 127.0.0.1:${app.port}\r\nOrigin: ${TENANT}\r\nCookie: s=1\r\nConnection: close\r\n\r\n`;
      const text = (await rawExchange(app.port, head)).toString('latin1');
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      if (!target(app.port).includes('%')) expect(body).toBe('account');
      // Whichever handler the framework ran, the account handler never answers the tenant origin.
      if (body === 'account') {
        expect(text.toLowerCase()).not.toContain('access-control-allow-origin');
        expect(text.toLowerCase()).not.toContain('access-control-allow-credentials');
      } else {
        expect(body).toBe('app');
      }
    } finally {
      await app.close();
    }
  });
});
