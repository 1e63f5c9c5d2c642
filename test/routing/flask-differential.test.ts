/**
 * The sidecar proxy in front of real Flask (Werkzeug) under gunicorn, default backend profile
 * `werkzeug` (issue 23 §1): the percent-encoding attacks of the issue from the partner's page, and
 * the routing differential of ./corpus.ts — the Flask view that runs was judged under its own CORS
 * route, or the proxy refused the target with 400.
 */
import { startGunicorn, type RunningGunicorn } from '../support/gunicorn';
import { describeIfCommand } from '../support/processes';
import { send, startProxy, type RunningProxy } from '../proxy/support';
import { corpus, differential, HANDLERS, MARKING_POLICY, raw, SEED } from './corpus';

const APP = 'https://app.example.com';
const PARTNER = 'https://partner.example.com';

/** One view per handler path (GET and POST), answering `H:<rule>`; the transfer view counts its runs. */
const SOURCE = `
from flask import Flask
app = Flask(__name__)
transfers = [0]
HANDLERS = ${JSON.stringify(HANDLERS)}

def view_for(rule):
    def view():
        if rule == '/api/account/transfer':
            transfers[0] += 1
        return 'H:' + rule
    return view

for rule in HANDLERS:
    app.add_url_rule(rule, rule, view_for(rule), methods=['GET', 'POST'])

@app.route('/__transfers')
def count():
    return str(transfers[0])
`;

describeIfCommand('gunicorn')('the proxy in front of Flask under gunicorn judges the path Werkzeug routes', () => {
  let flask: RunningGunicorn;
  beforeAll(async () => {
    flask = await startGunicorn({ source: SOURCE, threads: 4 });
  });
  afterAll(async () => {
    await flask?.stop();
  });

  describe('the attacks of issue 23 §1 (policy: [app, partner] with credentials, /api/account/* narrowed to app, protection enforced)', () => {
    let proxy: RunningProxy;
    beforeAll(async () => {
      proxy = await startProxy({
        upstream: flask.url,
        policy: {
          origins: [APP, PARTNER],
          credentials: true,
          routes: [{ path: '/api/account/*', origins: [APP] }],
          crossOriginProtection: { mode: 'enforce' },
        },
      });
    });
    afterAll(async () => {
      await proxy?.stop();
    });
    const transfers = async (): Promise<number> => Number((await send(flask.url, { path: '/__transfers' })).body);

    it.each(['/api/account/me', '/api/%61ccount/me', '/api/account%2fme', '/api/acc%6Funt/me', '/api//account/me', '/API/account/me'])(
      'GET %s from the partner with the cookie: the partner is not granted',
      async (path) => {
        const r = await raw(proxy.port, path, { headers: { Origin: PARTNER, Cookie: 'session=victim' } });
        expect(r.status).toBeGreaterThan(0);
        expect(r.status).toBeLessThan(500);
        expect(r.headers).not.toMatch(/\r\naccess-control-allow-(origin|credentials):/i);
      },
    );

    it('the same partner is granted where the policy grants it (the check can fail)', async () => {
      const r = await send(proxy.url, { path: '/api/me', headers: { origin: PARTNER, cookie: 'session=victim' } });
      expect(r.body).toBe('H:/api/me');
      expect(r.headers['access-control-allow-origin']).toBe(PARTNER);
      expect(r.headers['access-control-allow-credentials']).toBe('true');
    });

    it.each(['/api/account/transfer', '/api/%61ccount/transfer', '/api/account%2Ftransfer', '//api/account/transfer'])(
      'cross-site POST %s is 403 and the transfer view never runs',
      async (path) => {
        const before = await transfers();
        const r = await raw(proxy.port, path, {
          method: 'POST',
          headers: { Origin: PARTNER, 'Sec-Fetch-Site': 'cross-site', Cookie: 'session=victim', 'Content-Type': 'text/plain' },
          body: 'x=1',
        });
        expect(r.status).toBe(403);
        expect(await transfers()).toBe(before);
      },
    );

    it('a same-origin POST of the transfer runs it (the counter can move)', async () => {
      const before = await transfers();
      const r = await send(proxy.url, { method: 'POST', path: '/api/account/transfer', headers: { 'sec-fetch-site': 'same-origin', 'content-length': '0' } });
      expect(r.body).toBe('H:/api/account/transfer');
      expect(await transfers()).toBe(before + 1);
    });

    it.each(['/api/x/../account/me', '/api/%2e%2e/api/account/me'])('%s (a dot segment, which browsers never send) is refused with 400', async (path) => {
      const r = await raw(proxy.port, path, { headers: { Origin: PARTNER } });
      expect(r.status).toBe(400);
      expect(r.body).toBe('');
    });
  });

  describe('routing differential through the proxy', () => {
    const CORPUS_SIZE = 300;
    const targets = corpus(CORPUS_SIZE);
    let proxy: RunningProxy;
    beforeAll(async () => {
      proxy = await startProxy({ upstream: flask.url, policy: MARKING_POLICY });
    });
    afterAll(async () => {
      await proxy?.stop();
    });

    it(`${targets.length} targets (seed ${SEED}, ${CORPUS_SIZE} generated): every Flask view that runs was judged under its own CORS route`, async () => {
      const tally = await differential(proxy.port, targets);
      expect(tally.violations).toEqual([]);
      expect(tally.handledShaped).toBeGreaterThan(10); // decoded escapes, merged slashes, `%2F` reach views
      expect(tally.refused).toBeGreaterThan(0); // dot segments, absolute-form
    });
  });
});
