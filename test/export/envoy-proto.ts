/**
 * Envoy's published API is protobuf (no JSON Schema is published): this checks a YAML/JSON config
 * against the official .proto files that @grpc/grpc-js-xds ships (deps/envoy-api, xds, googleapis,
 * protoc-gen-validate), loaded with protobufjs. Every key must be a field of its message (proto or JSON
 * name), values of the field's type, `@type` of an Any a known message, at most one member of a oneof,
 * and the protoc-gen-validate rules Envoy's configs rely on most: required messages and oneofs,
 * integer bounds, string minimum length, repeated minimum items.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as protobuf from 'protobufjs';

const ENTRY_FILES = [
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
];

export function loadEnvoyProtos(): protobuf.Root {
  const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const includes = [dirname(require.resolve('protobufjs/package.json')), ...['envoy-api', 'xds', 'protoc-gen-validate', 'googleapis'].map((d) => join(deps, d))];
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => includes.map((dir) => join(dir, target)).find(existsSync) ?? target;
  root.loadSync(ENTRY_FILES, { keepCase: true });
  root.resolveAll();
  return root;
}

const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const WRAPPERS: Readonly<Record<string, string>> = {
  'google.protobuf.BoolValue': 'boolean', 'google.protobuf.StringValue': 'string', 'google.protobuf.UInt32Value': 'number',
  'google.protobuf.UInt64Value': 'number', 'google.protobuf.Int32Value': 'number', 'google.protobuf.DoubleValue': 'number',
};

function scalarError(type: string, value: unknown): string | undefined {
  if (type === 'string') return typeof value === 'string' ? undefined : 'expected a string';
  if (type === 'bool') return typeof value === 'boolean' ? undefined : 'expected a boolean';
  if (type === 'bytes') return typeof value === 'string' ? undefined : 'expected base64 text';
  if (['double', 'float'].includes(type)) return typeof value === 'number' ? undefined : 'expected a number';
  const ok = (typeof value === 'number' && Number.isInteger(value)) || (/64$/.test(type) && typeof value === 'string' && /^-?\d+$/.test(value));
  if (!ok) return `expected an integer (${type})`;
  return type.startsWith('u') && Number(value) < 0 ? 'expected a non-negative integer' : undefined;
}

function ruleErrors(field: protobuf.Field, value: unknown): string[] {
  const o = (field.options ?? {}) as Record<string, unknown>;
  const out: string[] = [];
  const n = Number(value);
  for (const [key, bound] of Object.entries(o)) {
    const m = /^\(validate\.rules\)\.(u?int\d+|string|repeated)\.(lt|lte|gt|gte|min_len|min_items)$/.exec(key);
    if (m === null || typeof bound !== 'number') continue;
    const [, kind, rule] = m;
    if (kind === 'string' && rule === 'min_len' && typeof value === 'string' && value.length < bound) out.push(`shorter than ${bound}`);
    if (kind === 'repeated' && rule === 'min_items' && Array.isArray(value) && value.length < bound) out.push(`fewer than ${bound} items`);
    if (kind!.includes('int') && ((rule === 'lt' && !(n < bound)) || (rule === 'lte' && !(n <= bound)) || (rule === 'gt' && !(n > bound)) || (rule === 'gte' && !(n >= bound)))) out.push(`breaks ${rule} ${bound}`);
  }
  return out;
}

/** Every way `value` is not a valid JSON/YAML form of the message `typeName`; [] when valid. */
export function protoErrors(root: protobuf.Root, typeName: string, value: unknown, at = '$'): string[] {
  if (WRAPPERS[typeName] !== undefined) return typeof value === WRAPPERS[typeName] ? [] : [`${at}: expected a ${WRAPPERS[typeName]}`];
  if (typeName === 'google.protobuf.Duration') return typeof value === 'string' && /^\d+(\.\d+)?s$/.test(value) ? [] : [`${at}: expected a duration like "5s"`];
  if (typeName === 'google.protobuf.Struct' || typeName === 'google.protobuf.Value') return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: expected an object (${typeName})`];
  const object = value as Record<string, unknown>;
  if (typeName === 'google.protobuf.Any') {
    const url = object['@type'];
    const inner = typeof url === 'string' ? url.replace(/^type\.googleapis\.com\//, '') : '';
    if (root.lookup(inner) === null) return [`${at}: unknown @type ${String(url)}`];
    const { '@type': _t, ...rest } = object;
    return protoErrors(root, inner, rest, `${at}<${inner}>`);
  }
  const type = root.lookupType(typeName);
  const errors: string[] = [];
  const byName = new Map(type.fieldsArray.flatMap((f) => [[f.name, f], [camel(f.name), f]] as const));
  for (const [key, v] of Object.entries(object)) {
    const field = byName.get(key);
    if (field === undefined) {
      errors.push(`${at}.${key}: no such field in ${typeName}`);
      continue;
    }
    errors.push(...fieldErrors(root, field, v, `${at}.${key}`));
  }
  for (const field of type.fieldsArray) {
    const set = object[field.name] !== undefined || object[camel(field.name)] !== undefined;
    // A member of a oneof is only checked when it is the one set (protoc-gen-validate's rule).
    if (!set && field.partOf === null && (field.options as Record<string, unknown> | undefined)?.['(validate.rules).message.required'] === true) errors.push(`${at}.${field.name}: required`);
  }
  for (const oneof of type.oneofsArray) {
    const members = oneof.fieldsArray.filter((f) => object[f.name] !== undefined || object[camel(f.name)] !== undefined);
    if (members.length > 1) errors.push(`${at}: more than one of ${oneof.name}`);
    if (members.length === 0 && (oneof.options as Record<string, unknown> | undefined)?.['(validate.required)'] === true) errors.push(`${at}: one of ${oneof.name} is required`);
  }
  return errors;
}

function fieldErrors(root: protobuf.Root, field: protobuf.Field, value: unknown, at: string): string[] {
  field.resolve();
  if (field.repeated) {
    if (!Array.isArray(value)) return [`${at}: expected a list`];
    return [...ruleErrors(field, value).map((e) => `${at}: ${e}`), ...value.flatMap((item, i) => singleErrors(root, field, item, `${at}[${i}]`))];
  }
  if (field instanceof protobuf.MapField) {
    if (typeof value !== 'object' || value === null) return [`${at}: expected a map`];
    return Object.entries(value).flatMap(([k, v]) => singleErrors(root, field, v, `${at}.${k}`));
  }
  return [...singleErrors(root, field, value, at), ...ruleErrors(field, value).map((e) => `${at}: ${e}`)];
}

function singleErrors(root: protobuf.Root, field: protobuf.Field, value: unknown, at: string): string[] {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) return typeof value === 'string' && value in resolved.values ? [] : [`${at}: not a value of ${resolved.name}`];
  if (resolved instanceof protobuf.Type) return protoErrors(root, resolved.fullName.slice(1), value, at);
  const problem = scalarError(field.type, value);
  return problem === undefined ? [] : [`${at}: ${problem}`];
}
