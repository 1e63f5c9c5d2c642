/**
 * The tenant threat model (issue #12 items 1, 2 and 7), played over real sockets: a self-service
 * tenant registers his own origin and tries to read another user's credentialed responses.
 */
import express from 'express';
import request from 'supertest';
import { Registry } from 'prom-client';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { Client } from 'pg';
import { MemoryOriginStore } from '../../packages/cors-sentinel/src/stores/memory';
import { PostgresOriginStore } from '../../packages/cors-sentinel/src/stores/postgres';
import { CorsConfigError } from '../../packages/cors-sentinel/src/policy/errors';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';

const VICTIM_COOKIE = 'session=victim-of-acme';
const EVIL = 'https://evil.example';

function store(): MemoryOriginStore {
  // The attacker signed up as tenant "attacker" and registered his own site.
  return new MemoryOriginStore({ acme: ['https://shop.acme.example'], attacker: [EVIL] });
}

/** An API whose /api/me ignores any tenant id (as most endpoints do) and whose /t/:tenant/ serves only that tenant. */
function api(options: CorsSentinelOptions) {
  const cors = corsSentinel({ logger: false, metrics: { registry: new Registry() }, ...options });
  const app = express();
  app.use(cors);
  const session = (req: express.Request) => (req.headers.cookie === VICTIM_COOKIE ? { user: 'victim', tenant: 'acme', secret: 'victim-private-data' } : undefined);
  app.get('/api/me', (req, res) => {
    res.json(session(req) ?? {});
  });
  app.get('/t/:tenant/me', (req, res) => {
    const s = session(req);
    // Tenant-scoped: a session of another tenant sees nothing here.
    res.json(s && s.tenant === req.params.tenant ? s : {});
  });
  app.get('/api/account/me', (req, res) => {
    res.json(session(req) ?? {});
  });
  return { app, cors };
}

function configError(options: CorsSentinelOptions): CorsConfigError {
  try {
    corsSentinel({ logger: false, metrics: false, ...options });
  } catch (err) {
    if (err instanceof CorsConfigError) return err;
    throw err;
  }
  throw new Error('expected a CorsConfigError');
}

describe('item 1: a tenant chosen by the query string never unlocks credentials', () => {
  it('refuses { query } with credentials at start-up and names the safe binding', () => {
    const err = configError({ originStore: store(), tenantFrom: { query: 'client_id' }, credentials: true });
    expect(err.problems).toEqual([expect.objectContaining({ path: 'tenantFrom', code: 'credentials_with_request_chosen_tenant' })]);
    expect(err.message).toContain('/t/:tenant');
    expect(err.message).toContain('dangerouslyAllowCredentialsWithQueryTenant');
  });

  it('allows { query } without credentials, where a cross-site page reads nothing private', async () => {
    const { app, cors } = api({ originStore: store(), tenantFrom: { query: 'client_id' } });
    const res = await request(app).get('/api/me?client_id=attacker').set('Origin', EVIL).set('Cookie', VICTIM_COOKIE);
    // The browser sends the cookie but, without Access-Control-Allow-Credentials, hides the response.
    expect(res.headers['access-control-allow-origin']).toBe(EVIL);
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    cors.close();
  });

  it('with the dangerous opt-in, the operator takes the risk knowingly (the attack works again)', async () => {
    const { app, cors } = api({ originStore: store(), tenantFrom: { query: 'client_id' }, credentials: true, dangerouslyAllowCredentialsWithQueryTenant: true });
    const res = await request(app).get('/api/me?client_id=attacker').set('Origin', EVIL).set('Cookie', VICTIM_COOKIE);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    cors.close();
  });

  describe('a tenant bound by the path', () => {
    const { app, cors } = api({ originStore: store(), tenantFrom: { path: '/t/:tenant' }, credentials: true });
    afterAll(() => cors.close());

    it('grants nothing outside a tenant path, whatever the query says', async () => {
      for (const url of ['/api/me?client_id=attacker', '/api/me', '/api/t/attacker/me']) {
        const res = await request(app).get(url).set('Origin', EVIL).set('Cookie', VICTIM_COOKIE);
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
        expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      }
    });

    it("grants the attacker's origin only his own tenant's scope, where the victim's session sees nothing", async () => {
      const own = await request(app).get('/t/attacker/me').set('Origin', EVIL).set('Cookie', VICTIM_COOKIE);
      expect(own.headers['access-control-allow-origin']).toBe(EVIL);
      expect(own.text).not.toContain('victim-private-data');
      const victims = await request(app).get('/t/acme/me').set('Origin', EVIL).set('Cookie', VICTIM_COOKIE);
      expect(victims.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await request(app).options('/t/acme/me').set('Origin', EVIL).set('Access-Control-Request-Method', 'PUT');
      expect(preflight.status).toBe(403);
    });

    it("still serves the real tenant's own frontend", async () => {
      const res = await request(app).get('/t/acme/me').set('Origin', 'https://shop.acme.example').set('Cookie', VICTIM_COOKIE);
      expect(res.headers['access-control-allow-origin']).toBe('https://shop.acme.example');
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.body.secret).toBe('victim-private-data');
    });
  });

  it('binds the tenant by the host: another tenant host grants nothing to the attacker', async () => {
    const { app, cors } = api({ originStore: store(), tenantFrom: { host: ':tenant.api.example.test' }, credentials: true });
    const victims = await request(app).get('/api/me').set('Host', 'acme.api.example.test').set('Origin', EVIL).set('Cookie', VICTIM_COOKIE);
    expect(victims.headers['access-control-allow-origin']).toBeUndefined();
    const spoofed = await request(app).get('/api/me?client_id=attacker').set('Host', 'acme.api.example.test:8443').set('Origin', EVIL);
    expect(spoofed.headers['access-control-allow-origin']).toBeUndefined();
    const own = await request(app).get('/api/me').set('Host', 'ACME.api.example.test').set('Origin', 'https://shop.acme.example');
    expect(own.headers['access-control-allow-origin']).toBe('https://shop.acme.example');
    cors.close();
  });

  it('refuses tenant patterns a request could satisfy anywhere', () => {
    expect(configError({ originStore: store(), tenantFrom: { path: /\/t\/([^/]+)\// } }).problems[0]?.code).toBe('unanchored_tenant_path');
    expect(configError({ originStore: store(), tenantFrom: { host: /^([a-z]+)\.api\.example\.test/ } }).problems[0]?.code).toBe('unanchored_tenant_path');
    expect(configError({ originStore: store(), tenantFrom: { path: '/t/:tenant/:tenant' } }).problems[0]?.code).toBe('invalid_type');
    expect(configError({ originStore: store(), tenantFrom: { host: 'api.:tenant*.test' } }).problems[0]?.code).toBe('invalid_type');
  });
});

describe('item 1 against the real PostgreSQL store', () => {
  const CONNECTION = { host: '127.0.0.1', port: 5432, user: process.env.PGUSER ?? 'postgres', database: process.env.PGDATABASE ?? 'test' };
  const suffix = Math.random().toString(36).slice(2, 8);
  const table = `cors_tenant_threat_${suffix}`;
  let pgStore: PostgresOriginStore;

  beforeAll(async () => {
    pgStore = new PostgresOriginStore({ poolConfig: CONNECTION, table, channel: `${table}_changed` });
    await pgStore.migrate();
    await pgStore.addOrigin('acme', 'https://shop.acme.example');
    await pgStore.addOrigin('attacker', EVIL);
  });
  afterAll(async () => {
    await pgStore.close();
    const admin = new Client(CONNECTION);
    await admin.connect();
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.query(`DROP FUNCTION IF EXISTS ${table}_notify()`);
    await admin.end();
  });

  it("grants the attacker's registered origin nothing outside his tenant's path", async () => {
    expect(configError({ originStore: pgStore, tenantFrom: { query: 'client_id' }, credentials: true }).problems[0]?.code).toBe('credentials_with_request_chosen_tenant');
    const { app, cors } = api({ originStore: pgStore, tenantFrom: { path: '/t/:tenant' }, credentials: true });
    for (const url of ['/api/me?client_id=attacker', '/t/acme/me']) {
      const res = await request(app).get(url).set('Origin', EVIL).set('Cookie', VICTIM_COOKIE);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
    const own = await request(app).get('/t/attacker/me').set('Origin', EVIL).set('Cookie', VICTIM_COOKIE);
    expect(own.headers['access-control-allow-origin']).toBe(EVIL);
    expect(own.text).not.toContain('victim-private-data');
    const real = await request(app).get('/t/acme/me').set('Origin', 'https://shop.acme.example').set('Cookie', VICTIM_COOKIE);
    expect(real.body.secret).toBe('victim-private-data');
    cors.close();
  });
});

describe('item 2: a tenant header can never pass a browser preflight', () => {
  it('is refused at start-up, saying why and what to use instead', () => {
    const err = configError({ originStore: store(), tenantFrom: { header: 'x-tenant-id' } as never });
    expect(err.problems).toEqual([expect.objectContaining({ path: 'tenantFrom.header', code: 'tenant_header_unusable' })]);
    expect(err.message).toMatch(/preflight carries only the names/);
    expect(err.message).toContain('/t/:tenant');
  });
});

describe('item 7: a route that narrows the origins does not inherit the default resolver or store', () => {
  const base: CorsSentinelOptions = {
    originStore: store(),
    tenantFrom: { host: ':tenant.api.example.test' },
    credentials: true,
  };
  const account = { path: '/api/account/*', origins: ['https://app.example.com'] };
  const ask = (app: express.Express, origin: string) =>
    request(app).get('/api/account/me').set('Host', 'acme.api.example.test').set('Origin', origin).set('Cookie', VICTIM_COOKIE);

  it('grants a tenant origin on the narrowed route only with inheritOriginResolver: true', async () => {
    const narrowed = api({ ...base, routes: [account] });
    expect((await ask(narrowed.app, 'https://shop.acme.example')).headers['access-control-allow-origin']).toBeUndefined();
    expect((await ask(narrowed.app, 'https://app.example.com')).headers['access-control-allow-origin']).toBe('https://app.example.com');
    // The default route still consults the store.
    const elsewhere = await request(narrowed.app).get('/api/me').set('Host', 'acme.api.example.test').set('Origin', 'https://shop.acme.example');
    expect(elsewhere.headers['access-control-allow-origin']).toBe('https://shop.acme.example');
    narrowed.cors.close();

    const inheriting = api({ ...base, routes: [{ ...account, inheritOriginResolver: true }] });
    expect((await ask(inheriting.app, 'https://shop.acme.example')).headers['access-control-allow-origin']).toBe('https://shop.acme.example');
    expect(inheriting.cors.policy.routes[0]?.originPolicy).toBe('list+resolver');
    inheriting.cors.close();
  });

  it('refuses a non-boolean inheritOriginResolver', () => {
    const err = configError({ ...base, routes: [{ ...account, inheritOriginResolver: 'yes' as never }] });
    expect(err.problems[0]).toEqual(expect.objectContaining({ path: 'routes[0].inheritOriginResolver', code: 'invalid_type' }));
  });
});
