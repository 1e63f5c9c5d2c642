/**
 * Every public entry validates its options at creation through the one problem collector: a wrong
 * type or a typo (nested keys included) is a CorsConfigError listing every problem, never a TypeError
 * while a response is written or a setting silently ignored (issue 23 §2).
 */
import Fastify from 'fastify';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { fastifyCorsObserver, fastifyCorsSentinel } from '../../packages/cors-sentinel/src/adapters/fastify';
import { koaCorsObserver, koaCorsSentinel } from '../../packages/cors-sentinel/src/adapters/koa';
import { corsSentinelHandler } from '../../packages/cors-sentinel/src/adapters/node';
import { crossOriginProtection } from '../../packages/cors-sentinel/src/fetch-metadata/middleware';
import { corsObserver } from '../../packages/cors-sentinel/src/adapters/express-observer';
import { createObserver } from '../../packages/cors-sentinel/src/observer/observer';
import { CorsConfigError } from '../../packages/cors-sentinel/src/policy/errors';
import { createSentinel } from '../../packages/cors-sentinel/src/sentinel';

const ORIGINS = { origins: ['https://app.example.com'], logger: false as const };
/** Options as a caller without types writes them. */
type Loose = Record<string, unknown>;

/** The problems `create` throws, as `path [code]` lines (fails when it does not throw a CorsConfigError). */
function problemsOf(create: () => unknown): string[] {
  try {
    create();
  } catch (err) {
    if (!(err instanceof CorsConfigError)) throw err;
    return err.problems.map((p) => `${p.path} [${p.code}]`);
  }
  throw new Error('the options were accepted');
}

const NESTED_MISTAKES: Loose = { logger: 42, metrics: { originLabelLimt: 5, prefix: 'bad prefix' }, logging: { maxPerIntervl: 1, level: 3 } };
const NESTED_PROBLEMS = [
  'metrics.originLabelLimt [unknown_option]',
  'logging.maxPerIntervl [unknown_option]',
  'metrics.prefix [invalid_type]',
  'logging.level [invalid_type]',
  'logger [invalid_type]',
];

const ENFORCING: [string, (o: Loose) => unknown][] = [
  ['corsSentinel', (o) => corsSentinel(o)],
  ['createSentinel', (o) => createSentinel(o)],
  ['corsSentinelHandler', (o) => corsSentinelHandler(o, () => undefined)],
  ['koaCorsSentinel', (o) => koaCorsSentinel(o)],
];
const OBSERVING: [string, (o: Loose) => unknown][] = [
  ['corsObserver', (o) => corsObserver(o)],
  ['createObserver', (o) => createObserver(o)],
  ['koaCorsObserver', (o) => koaCorsObserver(o)],
];

describe.each(ENFORCING)('%s', (_name, create) => {
  it('lists every nested mistake with its path', () => {
    expect(problemsOf(() => create({ ...ORIGINS, ...NESTED_MISTAKES }))).toEqual(expect.arrayContaining(NESTED_PROBLEMS));
  });
  it('suggests the key a typo meant', () => {
    expect(() => create({ ...ORIGINS, credentails: true })).toThrow(/credentails.*did you mean "credentials"/);
  });
});

describe.each(OBSERVING)('%s', (_name, create) => {
  it('lists every nested mistake with its path', () => {
    expect(problemsOf(() => create(NESTED_MISTAKES))).toEqual(expect.arrayContaining(NESTED_PROBLEMS));
  });
  it('refuses the issue\'s cases at creation', () => {
    expect(problemsOf(() => create({ logger: 42 }))).toEqual(['logger [invalid_type]']);
    expect(() => create({ metrics: { originLabelLimt: 5 } })).toThrow(/metrics\.originLabelLimt: unknown option "originLabelLimt"; did you mean "originLabelLimit"\?/);
    expect(problemsOf(() => create({ expectedOrigns: ['https://app.example.com'], reflectionProbe: 'yes' }))).toEqual([
      'expectedOrigns [unknown_option]',
      'reflectionProbe [invalid_type]',
    ]);
  });
  it('still accepts valid options', () => {
    const made = create({ logger: false, metrics: { originLabelLimit: 5 }, logging: { maxPerInterval: 1 } }) as { close(): void };
    made.close();
  });
});

describe('crossOriginProtection', () => {
  it('refuses a logger that is not one at creation, not on the first cross-site POST', () => {
    expect(problemsOf(() => crossOriginProtection({ logger: 42 } as Loose))).toEqual(['logger [invalid_type]']);
  });
  it('checks its own nested options and its protection options in one error', () => {
    const options = { mode: 'enforse', metrics: { prefx: 'a_' }, logging: { intervalMs: 0 }, routeName: 3 } as Loose;
    expect(problemsOf(() => crossOriginProtection(options))).toEqual([
      'mode [invalid_protection_mode]',
      'metrics.prefx [unknown_option]',
      'logging.intervalMs [invalid_number]',
      'routeName [invalid_type]',
    ]);
    expect(() => crossOriginProtection({ metrics: { prefx: 'a_' } } as Loose)).toThrow(/did you mean "prefix"/);
    expect(problemsOf(() => crossOriginProtection({ metrics: 'on' } as Loose))).toEqual(['metrics [invalid_type]']);
  });
  it('accepts its valid options', () => {
    crossOriginProtection({ mode: 'enforce', metrics: { prefix: 'app_' }, logger: false, logging: { maxPerInterval: 1 }, routeName: 'api' }).close();
  });
});

describe('Fastify plugins', () => {
  it.each([
    ['fastifyCorsSentinel', fastifyCorsSentinel, { ...ORIGINS, metrics: { originLabelLimt: 5 } }, ['metrics.originLabelLimt [unknown_option]']],
    ['fastifyCorsObserver', fastifyCorsObserver, { logger: 42 }, ['logger [invalid_type]']],
  ] as const)('%s fails register() with every problem', async (_name, plugin, options, expected) => {
    const app = Fastify();
    let error: unknown;
    try {
      await app.register(plugin as never, options as never);
      await app.ready();
    } catch (err) {
      error = err;
    } finally {
      await app.close().catch(() => undefined);
    }
    expect(error).toBeInstanceOf(CorsConfigError);
    expect((error as CorsConfigError).problems.map((p) => `${p.path} [${p.code}]`)).toEqual(expected);
  });
});
