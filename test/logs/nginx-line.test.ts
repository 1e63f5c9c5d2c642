/** The cors_json line parser: what counts as a line, what is malformed, what "" and "-" mean. */
import { parseNginxJsonLine } from '../../packages/cli/src/logs/nginx';

const base = { http_origin: 'https://app.example.com', host: 'api.example.com', request_method: 'GET', uri: '/api/items', status: '200' };
const line = (fields: Record<string, unknown>) => JSON.stringify({ ...base, ...fields });

it('reads the request and the response headers the format carries', () => {
  const entry = parseNginxJsonLine(line({ sent_http_access_control_allow_origin: 'https://app.example.com', sent_http_vary: 'Origin', status: 204, request_method: 'OPTIONS', http_access_control_request_method: 'PUT' }));
  expect(entry?.request).toMatchObject({ method: 'OPTIONS', path: '/api/items', origin: 'https://app.example.com', host: 'api.example.com', accessControlRequestMethod: 'PUT' });
  expect(entry?.response.status).toBe(204);
  expect(entry?.response.header('access-control-allow-origin')).toBe('https://app.example.com');
  expect(entry?.response.header('vary')).toBe('Origin');
  expect(entry?.response.header('set-cookie')).toBeUndefined();
});

it('treats "" and "-" as absent headers', () => {
  const entry = parseNginxJsonLine(line({ http_origin: '', sent_http_access_control_allow_origin: '-', sent_http_access_control_allow_methods: '' }));
  expect(entry?.request.origin).toBeUndefined();
  expect(entry?.response.header('access-control-allow-origin')).toBeUndefined();
  expect(entry?.response.header('access-control-allow-methods')).toBeUndefined();
});

it('without the allow-methods/-headers keys, a preflight is judged on its origin alone', () => {
  const entry = parseNginxJsonLine(line({ request_method: 'OPTIONS', http_access_control_request_method: 'DELETE', http_access_control_request_headers: 'x-a' }));
  expect(entry?.response.header('access-control-allow-methods')).toBe('DELETE');
  expect(entry?.response.header('access-control-allow-headers')).toBe('x-a');
});

it.each([
  ['not JSON', 'GET /api/items 200'],
  ['an array', '[1,2]'],
  ['a string', '"x"'],
  ['no method', JSON.stringify({ ...base, request_method: undefined })],
  ['a method with a space (injected)', line({ request_method: 'GET /x' })],
  ['a status out of range', line({ status: '1000' })],
  ['a status that is not a number', line({ status: 'ok' })],
  ['no uri', JSON.stringify({ ...base, uri: undefined })],
  ['a uri that is not a string', line({ uri: 5 })],
])('%s is malformed', (_name, text) => {
  expect(parseNginxJsonLine(text)).toBeUndefined();
});
