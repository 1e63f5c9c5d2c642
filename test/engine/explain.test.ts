/** `explainSync`: synchronous for static policies, a clear error (never a silent Promise) otherwise. */
import { corsSentinel, explainSync } from '../../packages/cors-sentinel/src';

describe('explainSync', () => {
  it('explains a static policy synchronously', () => {
    const cors = corsSentinel({ origins: ['https://app.example.com'], logger: false, metrics: false });
    const allowed = explainSync(cors.policy, { method: 'GET', path: '/', origin: 'https://app.example.com' });
    expect(allowed.decision.outcome).toBe('allowed');
    expect(allowed.why).toMatch(/listed exactly/);
    const rejected = explainSync(cors.policy, { method: 'OPTIONS', path: '/', origin: 'https://evil.example', accessControlRequestMethod: 'PUT' });
    expect(rejected.decision.outcome).toBe('rejected');
    expect(cors.explain({ method: 'GET', path: '/', origin: 'https://app.example.com' })).not.toBeInstanceOf(Promise);
  });

  it('refuses, naming the fix, when an origin must be looked up; the async explain still answers', async () => {
    const cors = corsSentinel({ origins: ['https://app.example.com'], resolveOrigin: async (o) => o === 'https://tenant.example.org', logger: false, metrics: false });
    const request = { method: 'GET', path: '/', origin: 'https://tenant.example.org' };
    expect(() => explainSync(cors.policy, request)).toThrow(/asynchronous origin lookup.*await cors\.explain/);
    expect((await cors.explain(request)).decision.outcome).toBe('allowed');
    // A static answer from the same policy stays synchronous.
    expect(explainSync(cors.policy, { method: 'GET', path: '/', origin: 'https://app.example.com' }).decision.outcome).toBe('allowed');
  });
});
