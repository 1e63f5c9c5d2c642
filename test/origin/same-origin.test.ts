import { isSameOrigin } from '../../packages/cors-sentinel/src/origin/same-origin';

describe('isSameOrigin', () => {
  it.each([
    ['https://api.example.com', 'api.example.com', undefined, true],
    ['https://API.example.com', 'api.EXAMPLE.com', undefined, true],
    ['https://api.example.com', 'api.example.com:443', undefined, true],
    ['http://api.example.com', 'api.example.com:80', undefined, true],
    ['http://api.example.com', 'api.example.com:443', undefined, false],
    ['https://api.example.com:8443', 'api.example.com:8443', undefined, true],
    ['https://api.example.com', 'api.example.com', 'https', true],
    ['https://api.example.com', 'api.example.com', 'http', false],
    ['http://api.example.com', 'api.example.com', 'https', false],
    ['https://app.example.com', '127.0.0.1:3000', undefined, false],
    ['capacitor://api.example.com', 'api.example.com', undefined, false],
    ['https://api.example.com', '', undefined, false],
    ['https://api.example.com', undefined, undefined, false],
    // An Origin with no host names no one: never the API itself, whatever Host says.
    ['https://', ':443', undefined, false],
    ['http://', ':80', undefined, false],
    // Host is the client's to write: a Host that only looks like the rest of the Origin is not the same.
    ['https://api.example.com', '/api.example.com', undefined, false],
    ['https://evil.example\u212a', 'evil.examplek', undefined, false],
  ])('%s with Host %s (scheme %s) → %s', (origin, host, scheme, expected) => {
    expect(isSameOrigin(origin, host, scheme as 'http' | 'https' | undefined)).toBe(expected);
  });
});
