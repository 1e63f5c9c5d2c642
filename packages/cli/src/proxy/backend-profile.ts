/**
 * The sidecar proxy's backend profile (docs/proxy.md, "Backend profile"): how the backend behind the
 * proxy reads a request target before it routes, so that the proxy chooses the CORS route, tenant and
 * cross-origin-protection bypass on the path whose handler will run (src/http/routing-path.ts).
 *
 * `werkzeug` (Flask under gunicorn or any WSGI server) is the default and is checked against the real
 * thing (test/routing/flask-differential.test.ts). The other presets follow their servers' documented
 * behaviour and refuse (400) where that behaviour depends on the version or the app.
 */
import { backendPathReader, type BackendProfile, type PathReader } from 'cors-sentinel/internal/http/routing-path';

/** gunicorn decodes every escape into PATH_INFO (`%2F` too); Werkzeug merges slashes (leading ones stripped, inner ones redirected). */
const WERKZEUG: BackendProfile = {
  absoluteForm: 'refuse', percentDecoding: 'all', encodedSlash: 'decode', encodedBackslash: 'decode', backslash: 'literal',
  dotSegments: 'refuse', duplicateSlashes: 'merge', semicolon: 'literal', trailingSlash: 'significant',
};
/** nginx `location` matching: decodes every escape, merges slashes (merge_slashes on) and resolves dot segments. */
const NGINX: BackendProfile = { ...WERKZEUG, dotSegments: 'resolve' };

export const BACKEND_PRESETS = {
  werkzeug: WERKZEUG,
  /** Django under a WSGI server: PATH_INFO decoded like Werkzeug's; the resolver merges nothing (APPEND_SLASH only adds one). */
  django: { ...WERKZEUG, duplicateSlashes: 'keep' },
  /** Rails (Journey): squeezes slashes and drops the trailing one; how segments are unescaped varies, so `%2F` and `%5C` are refused. */
  rails: { ...WERKZEUG, encodedSlash: 'refuse', encodedBackslash: 'refuse', trailingSlash: 'ignored' },
  /** Go net/http ServeMux: cleans the path (dot segments, `//`) and redirects to it; `%2F` splits before Go 1.22, not after: refused. */
  go: { ...NGINX, encodedSlash: 'refuse' },
  nginx: NGINX,
  /** Any backend: everything whose reading differs between servers is refused with 400. */
  strict: {
    absoluteForm: 'refuse', percentDecoding: 'unreserved', encodedSlash: 'refuse', encodedBackslash: 'refuse', backslash: 'refuse',
    dotSegments: 'refuse', duplicateSlashes: 'merge', semicolon: 'end-of-path', trailingSlash: 'ignored',
  },
} satisfies Record<string, BackendProfile>;

export type BackendPreset = keyof typeof BACKEND_PRESETS;
export const DEFAULT_BACKEND: BackendPreset = 'werkzeug';

/** A preset by name, or a preset with some settings changed (`{ preset: 'werkzeug', dotSegments: 'literal' }`). */
export type BackendProfileOption = BackendPreset | ({ readonly preset?: BackendPreset } & Partial<BackendProfile>);

const CHOICES: { readonly [K in keyof BackendProfile]: readonly BackendProfile[K][] } = {
  absoluteForm: ['path', 'refuse'],
  percentDecoding: ['all', 'unreserved', 'none'],
  encodedSlash: ['decode', 'keep', 'refuse'],
  encodedBackslash: ['decode', 'keep', 'refuse'],
  backslash: ['literal', 'separator', 'refuse'],
  dotSegments: ['literal', 'resolve', 'refuse'],
  duplicateSlashes: ['keep', 'merge'],
  semicolon: ['literal', 'end-of-path', 'segment-parameters'],
  trailingSlash: ['significant', 'ignored'],
};

/** The profile an option names; a TypeError naming the choices for anything else. */
export function resolveBackendProfile(option: BackendProfileOption | undefined): BackendProfile {
  if (option === undefined) return BACKEND_PRESETS[DEFAULT_BACKEND];
  if (typeof option === 'string') return presetNamed(option);
  if (typeof option !== 'object' || option === null) throw new TypeError(`cors-sentinel proxy: backend must be a preset name or an object, got ${JSON.stringify(option)}`);
  const { preset, ...settings } = option;
  const profile: Record<string, string> = { ...presetNamed(preset ?? DEFAULT_BACKEND) };
  for (const [key, value] of Object.entries(settings)) {
    const choices = (CHOICES as Record<string, readonly string[] | undefined>)[key];
    if (choices === undefined) throw new TypeError(`cors-sentinel proxy: backend.${key} is not a profile setting; use one of ${Object.keys(CHOICES).join(', ')}`);
    if (!choices.includes(value)) throw new TypeError(`cors-sentinel proxy: backend.${key} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
    profile[key] = value;
  }
  return profile as unknown as BackendProfile;
}

function presetNamed(name: unknown): BackendProfile {
  if (typeof name === 'string' && Object.hasOwn(BACKEND_PRESETS, name)) return BACKEND_PRESETS[name as BackendPreset];
  throw new TypeError(`cors-sentinel proxy: unknown backend ${JSON.stringify(name)}; use one of ${Object.keys(BACKEND_PRESETS).join(', ')}`);
}

/**
 * `--backend werkzeug` or `--backend werkzeug,dotSegments=resolve,semicolon=end-of-path`: a preset and
 * the settings it changes.
 */
export function parseBackendArgument(text: string): BackendProfileOption {
  const [preset, ...pairs] = text.split(',').map((part) => part.trim());
  if (pairs.length === 0) return preset as BackendPreset;
  const option: Record<string, string> = { preset: preset as string };
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new TypeError(`cors-sentinel proxy: --backend ${JSON.stringify(text)}: expected NAME[,setting=value…], got ${JSON.stringify(pair)}`);
    option[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return option;
}

/** The path reader the proxy uses for `option`. */
export function backendReader(option: BackendProfileOption | undefined): PathReader {
  return backendPathReader(resolveBackendProfile(option));
}
