/** Policy files: JSON/YAML with the code API's option names, the JSON Schema, and file problems as CorsConfigError. */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { compilePolicy } from '../../packages/cors-sentinel/src/engine/compile-policy';
import { ROUTE_KEYS, TOP_LEVEL_KEYS } from '../../packages/cors-sentinel/src/policy/validate';
import { CorsConfigError } from '../../packages/cors-sentinel/src/policy/errors';
import { loadPolicyFile } from '../../packages/cors-sentinel/src/policy/file';

const ROOT = join(__dirname, '../..');
const schema = JSON.parse(readFileSync(join(ROOT, 'packages/cors-sentinel/schema/policy.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
const dir = mkdtempSync(join(tmpdir(), 'cors-policy-'));
const EXAMPLES = join(ROOT, 'examples/policy-file');
const examples = readdirSync(EXAMPLES).filter((f) => /\.(ya?ml|json)$/.test(f));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function problemsOf(file: string): Array<[string, string]> {
  try {
    loadPolicyFile(file);
  } catch (err) {
    if (err instanceof CorsConfigError) return err.problems.map((p) => [p.path, p.code]);
    throw err;
  }
  return [];
}

describe('policy files', () => {
  it.each(examples)('the example %s loads, compiles and satisfies the schema', (name) => {
    const file = join(EXAMPLES, name);
    const options = loadPolicyFile(file);
    expect(() => compilePolicy(options)).not.toThrow();
    expect([validate(parse(readFileSync(file, 'utf8'))), validate.errors]).toEqual([true, null]);
  });

  it('reads RegExps as { regexp, flags } and keeps the option names of the code API', () => {
    const options = loadPolicyFile(join(EXAMPLES, 'cors.yaml'));
    expect((options.origins as unknown[])[2]).toEqual(/^https:\/\/pr-\d+\.review\.example\.com$/);
    expect(options.routes?.[1]).toEqual({ path: '/api/account/*', name: 'account', origins: ['https://app.example.com'] });
  });

  it.each([
    ['a typo in an option', 'origins: [https://a.example]\ncredentails: true\n'],
    ['a route without a path', 'origins: [https://a.example]\nroutes: [{ name: x }]\n'],
    ['a RegExp with unknown keys', 'origins: [{ regexp: "^https://a$", flag: i }]\n'],
    ['a negative max-age', 'origins: [https://a.example]\nmaxAge: -1\n'],
    ['a status that is not one', 'origins: [https://a.example]\nrejectedPreflightStatus: 99\n'],
  ])('schema and loader both refuse %s', (_case, text) => {
    expect(validate(parse(text))).toBe(false);
    expect(problemsOf(write('bad.yaml', text)).length).toBeGreaterThan(0);
  });

  it('reports file problems as CorsConfigError problems naming the file', () => {
    expect(problemsOf(join(dir, 'missing.yaml'))).toEqual([[join(dir, 'missing.yaml'), 'invalid_policy_file']]);
    const broken = write('broken.yaml', 'origins: [https://a.example\n');
    expect(problemsOf(broken)).toEqual([[broken, 'invalid_policy_file']]);
    const duplicate = write('dup.json', '{ "credentials": false, "credentials": true, "origins": ["https://a.example"] }');
    expect(problemsOf(duplicate)).toEqual([[duplicate, 'invalid_policy_file']]);
    const list = write('list.yaml', '- https://a.example\n');
    expect(problemsOf(list)).toEqual([[list, 'invalid_policy_file']]);
  });

  it('the loader also refuses what only the compiler knows (credentials with any origin)', () => {
    const text = "origins: '*'\ncredentials: true\n";
    expect(validate(parse(text))).toBe(true);
    expect(problemsOf(write('any.yaml', text))).toEqual([['origins', 'credentials_with_any_origin']]);
  });

  it('lists every policy problem at once, at the paths of the code API', () => {
    const file = write('many.yaml', "origins: ['*']\ncredentials: true\nmethods: [CONNECT]\nroutes:\n  - path: api\n__proto__: { credentials: true }\n");
    const found = problemsOf(file);
    expect(found).toEqual(expect.arrayContaining([
      ['origins', 'credentials_with_any_origin'], ['routes[0].path', 'invalid_route_path'],
      ['__proto__', 'unknown_option'], ['methods[0]', 'forbidden_method'],
    ]));
  });

  it('the schema names every serialisable option and nothing else', () => {
    const codeOnly = new Set(['resolveOrigin', 'originStore', 'probeKey']);
    const expectedTop = [...TOP_LEVEL_KEYS].filter((k) => !codeOnly.has(k)).sort();
    expect(Object.keys(schema.properties).filter((k) => k !== '$schema').sort()).toEqual(expectedTop);
    const expectedRoute = [...ROUTE_KEYS].filter((k) => !codeOnly.has(k)).sort();
    expect(Object.keys(schema.definitions.route.properties).sort()).toEqual(expectedRoute);
  });
});
