/**
 * The routing-path contract (src/http/routing-path.ts) as a function: each reading on the targets of
 * issue 23, and totality — no string makes any reading throw. The readings are checked against the
 * real routers in differential.test.ts and flask-differential.test.ts.
 */
import fc from 'fast-check';
import {
  backendPathReader, decodedPathReading, fastifyPathReader, nodeRoutingPath, routingPath, type BackendProfile,
} from '../../packages/cors-sentinel/src/http/routing-path';
import { BACKEND_PRESETS, parseBackendArgument, resolveBackendProfile } from '../../packages/cli/src/proxy/backend-profile';

const werkzeug = backendPathReader(BACKEND_PRESETS.werkzeug);

describe('nodeRoutingPath (Express 4/5, Koa, node:http: parseurl, undecoded)', () => {
  it.each([
    ['/api/account/me', '/api/account/me'],
    ['/api/partner?id=1', '/api/partner'],
    ['/api/%61ccount/me', '/api/%61ccount/me'],
    ['http://host/webhooks/x', '/webhooks/x'],
    ['http://host', '/'],
    ['/a#b', '/a'],
    ['*', '*'],
  ])('%s → %s', (target, path) => {
    expect(routingPath(target)).toBe(path);
    expect(nodeRoutingPath(target)).toBe(path);
  });

  it.each(['http://[', 'http://[/x', 'http://[::1/api'])('%s, which the URL parser rejects, is undefined (400), not a throw', (target) => {
    expect(nodeRoutingPath(target)).toBeUndefined();
  });

  it('keeps the origin-form hot path a slice: the same string back when there is no query', () => {
    const target = '/api/account/me';
    expect(nodeRoutingPath(target)).toBe(target);
  });
});

describe('fastifyPathReader (find-my-way)', () => {
  it('decodes unreserved escapes, keeps reserved ones and %25, as find-my-way does', () => {
    const read = fastifyPathReader();
    expect(read('/api/%61ccount/me')).toBe('/api/account/me');
    expect(read('/api/acc%6Funt/me')).toBe('/api/account/me');
    expect(read('/api/account%2fme')).toBe('/api/account%2fme');
    expect(read('/api/%2561')).toBe('/api/%2561');
    expect(read('/api/%zz')).toBeUndefined(); // Fastify: 400 FST_ERR_BAD_URL
    expect(read('http://h/api/account/me?x')).toBe('/api/account/me');
    expect(read('http://[')).toBeUndefined();
    expect(read('http://h?q/api/account/me')).toBeUndefined(); // find-my-way versions read this differently: refused
  });

  it('applies each router option', () => {
    expect(fastifyPathReader({ ignoreDuplicateSlashes: true })('//api//account/me')).toBe('/api/account/me');
    expect(fastifyPathReader({ useSemicolonDelimiter: true })('/api/me;x=1')).toBe('/api/me');
    expect(fastifyPathReader()('/api/me;x=1')).toBe('/api/me;x=1');
    expect(fastifyPathReader({ ignoreTrailingSlash: true })('/api/me/')).toBe('/api/me');
    expect(fastifyPathReader({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true })('/api/me//')).toBe('/api/me');
  });
});

describe('backendPathReader with the werkzeug preset (gunicorn decodes into PATH_INFO, Werkzeug merges slashes)', () => {
  it.each([
    ['/api/%61ccount/me', '/api/account/me'],
    ['/api/account%2fme', '/api/account/me'],
    ['/api/acc%6Funt/me', '/api/account/me'],
    ['/api/%2561ccount/me', '/api/%61ccount/me'], // decoded once, like gunicorn
    ['/api//account/me', '/api/account/me'],
    ['//api/account/me', '/api/account/me'],
    ['/api/me;x=1', '/api/me;x=1'],
    ['/api/%C3%A9', '/api/é'],
    ['/api/%ff', '/api/\ufffd'],
    ['/api/me?x=%2F', '/api/me'],
    ['/file.json', '/file.json'],
  ])('%s → %s', (target, path) => {
    expect(werkzeug(target)).toBe(path);
  });

  it.each(['/api/../api/account/me', '/api/%2e%2e/account', '/api/./me', 'http://h/api/account/me', '*', 'http://['])('%s is refused (400)', (target) => {
    expect(werkzeug(target)).toBeUndefined();
  });

  it('other settings: resolve dot segments, backslash as a separator, segment parameters, trailing slash', () => {
    const profile = (changes: Partial<BackendProfile>) => backendPathReader({ ...BACKEND_PRESETS.werkzeug, ...changes });
    expect(profile({ dotSegments: 'resolve' })('/api/x/../account/./me')).toBe('/api/account/me');
    expect(profile({ dotSegments: 'resolve' })('/api/..')).toBe('/');
    expect(profile({ backslash: 'separator' })('/api\\account%5Cme')).toBe('/api/account/me');
    expect(profile({ semicolon: 'segment-parameters' })('/api;v=1/account;x/me')).toBe('/api/account/me');
    expect(profile({ semicolon: 'end-of-path' })('/api/me;x=1/y')).toBe('/api/me');
    expect(profile({ trailingSlash: 'ignored' })('/api/me//')).toBe('/api/me');
    expect(profile({ encodedSlash: 'keep' })('/api/account%2fme')).toBe('/api/account%2Fme');
    expect(profile({ encodedSlash: 'refuse' })('/api/account%2fme')).toBeUndefined();
    expect(profile({ percentDecoding: 'unreserved' })('/api/%61%3b')).toBe('/api/a%3B');
    expect(profile({ absoluteForm: 'path' })('HTTP://h/api/account/me?x')).toBe('/api/account/me');
    expect(profile({ absoluteForm: 'path' })('http://h?x/y')).toBe('/');
  });
});

describe('backend profile options', () => {
  it('names presets and settings, and refuses anything else with the choices in the message', () => {
    expect(resolveBackendProfile(undefined)).toBe(BACKEND_PRESETS.werkzeug);
    expect(resolveBackendProfile(parseBackendArgument('nginx'))).toBe(BACKEND_PRESETS.nginx);
    expect(resolveBackendProfile(parseBackendArgument('werkzeug,dotSegments=resolve'))).toEqual({ ...BACKEND_PRESETS.werkzeug, dotSegments: 'resolve' });
    expect(() => resolveBackendProfile(parseBackendArgument('tomcat'))).toThrow(/unknown backend "tomcat"; use one of werkzeug, django, rails, go, nginx, strict/);
    expect(() => resolveBackendProfile(parseBackendArgument('werkzeug,dotSegments=maybe'))).toThrow(/backend.dotSegments must be one of literal, resolve, refuse/);
    expect(() => resolveBackendProfile(parseBackendArgument('werkzeug,case=insensitive'))).toThrow(/backend.case is not a profile setting/);
    expect(() => parseBackendArgument('werkzeug,oops')).toThrow(/expected NAME\[,setting=value…\]/);
  });
});

describe('decodedPathReading (nginx $uri in the access log)', () => {
  it('reads a decoded path as it is: `?` and `%` are literal characters there', () => {
    expect(decodedPathReading('/api/a?b%61')).toBe('/api/a?b%61');
    expect(decodedPathReading('')).toBe('/');
    expect(decodedPathReading('api')).toBeUndefined();
  });
});

describe('totality: no target makes a reading throw', () => {
  const readers = {
    node: nodeRoutingPath,
    fastify: fastifyPathReader({ ignoreDuplicateSlashes: true, ignoreTrailingSlash: true, useSemicolonDelimiter: true }),
    ...Object.fromEntries(Object.entries(BACKEND_PRESETS).map(([name, p]) => [name, backendPathReader({ ...p, absoluteForm: 'path' })])),
  };
  const pieces = fc.constantFrom('/', '//', '%', '%2', '%2F', '%5c', '%25', '%zz', '%ff', '%C3', '.', '..', ';', '?', '#', '\\', 'http://', '[', ']', '@', ':', 'a', 'é', '\u0000');
  const target = fc.oneof(fc.string(), fc.array(pieces, { maxLength: 12 }).map((p) => p.join('')), fc.array(pieces, { maxLength: 12 }).map((p) => `/${p.join('')}`));

  it.each(Object.keys(readers))('%s: a string or undefined for every target (seeded)', (name) => {
    const read = readers[name as keyof typeof readers] as (t: string) => string | undefined;
    fc.assert(
      fc.property(target, (t) => {
        const path = read(t);
        return path === undefined || typeof path === 'string';
      }),
      { seed: 2026_12_06, numRuns: 3000 },
    );
  });
});
