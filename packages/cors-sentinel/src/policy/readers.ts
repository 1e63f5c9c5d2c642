/**
 * Readers for single options: each checks one value, reports what is wrong to the collector and
 * returns a usable fallback, so that compilation goes on and every problem is reported together.
 */
import { FORBIDDEN_RESPONSE_HEADERS, isCorsResponseHeader, isForbiddenRequestHeader, isNeverExposedHeader, isToken } from '../http/tokens';
import { describe } from '../origin/describe';
import type { ProblemCollector } from './errors';
import type { PolicyOptions } from './options';

/**
 * Methods as browsers send them: Fetch upper-cases DELETE, GET, HEAD, OPTIONS, POST and PUT in any
 * case, and sends every other method (PATCH included) exactly as the script wrote it.
 */
export function normaliseMethod(method: string): string {
  const upper = method.toUpperCase();
  return FETCH_NORMALISED_METHODS.has(upper) ? upper : method;
}
const FETCH_NORMALISED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

export function checkHeaderName(h: string, path: string, request: boolean, problems: ProblemCollector): boolean {
  if (!isToken(h)) return problems.add(path, 'invalid_header_name', `${JSON.stringify(h)} is not a header name`), false;
  if (request ? isForbiddenRequestHeader(h) : FORBIDDEN_RESPONSE_HEADERS.has(h)) {
    return problems.add(path, 'forbidden_header_name', `${h} is a forbidden header name: browsers never let scripts ${request ? 'set' : 'read'} it`), false;
  }
  if (request && isCorsResponseHeader(h)) {
    return problems.add(path, 'response_header_in_allowed_headers', `${h} is a response header, which the server sends and no browser asks to send; remove it from allowedHeaders (cors-sentinel writes the CORS response headers itself)`), false;
  }
  if (!request && isNeverExposedHeader(h)) {
    return problems.add(path, 'request_header_in_exposed_headers', `${h} is never part of an actual response a script can read (a request header or a preflight-only answer); remove it from exposedHeaders`), false;
  }
  return true;
}

export function readBoolean(o: PolicyOptions, key: keyof PolicyOptions, at: string, problems: ProblemCollector): boolean {
  const v = o[key];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') {
    problems.add(`${at}${key}`, 'invalid_type', `expected true or false, got ${describe(v)}`);
    return false;
  }
  return v;
}

/** A list option given as an array or as a comma-separated string (the `cors` package accepts both). */
export function readList(v: unknown, fallback: readonly string[], path: string, problems: ProblemCollector): string[] {
  if (v === undefined) return [...fallback];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v.map((s: string) => s.trim());
  problems.add(path, 'invalid_type', `expected a string or an array of strings, got ${describe(v)}`);
  return [];
}

export function readStatus(v: unknown, fallback: number, min: number, max: number, path: string, problems: ProblemCollector): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    problems.add(path, 'invalid_status', `expected an HTTP status from ${min} to ${max}, got ${describe(v)}`);
    return fallback;
  }
  return v;
}

export function readPositive(v: unknown, fallback: number, path: string, problems: ProblemCollector, zeroOk: boolean): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!zeroOk && v === 0)) {
    problems.add(path, 'invalid_number', `expected a ${zeroOk ? 'non-negative' : 'positive'} number, got ${describe(v)}`);
    return fallback;
  }
  return v;
}
