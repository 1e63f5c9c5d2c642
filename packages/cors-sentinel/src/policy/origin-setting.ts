/**
 * Reads where a route's origins come from: a list, `true` / `false`, the `cors` package's callback,
 * an async resolver, or an origin store (cached per tenant).
 */
import { describe } from '../origin/describe';
import { TenantOriginCache } from '../stores/tenant-cache';
import { ProblemCollector } from './errors';
import { fromCorsCallback, type CallbackRules } from './callback-origin';
import { guardReflection, type ResolveFn } from './reflection-guard';
import type { PolicyOptions } from './options';
import { readPositive } from './readers';

export type { ResolveFn };

export interface OriginSetting {
  specs: readonly unknown[];
  reflectAny: boolean;
  disabled: boolean;
  resolver: ResolveFn | undefined;
  storeCache: TenantOriginCache | undefined;
  /** The origins come from a `cors`-style `origin(origin, callback)` function. */
  callback: boolean;
  /** A `resolveOrigin` function (held to the reflection rule like a callback). */
  guardedResolver: boolean;
  /** `origins: []`, typically an unset environment variable split into nothing. */
  emptyList: boolean;
}

/** Reads `origins` / `origin` / `resolveOrigin`, including the `cors` package's forms of `origin`. */
export function readOrigins(o: PolicyOptions, at: string, problems: ProblemCollector, rules: CallbackRules): OriginSetting {
  const setting: OriginSetting = { specs: [], reflectAny: false, disabled: false, resolver: undefined, storeCache: undefined, callback: false, guardedResolver: false, emptyList: false };
  if (o.origins !== undefined && o.origin !== undefined) {
    problems.add(`${at}origin`, 'invalid_type', 'set either "origins" or its cors-package alias "origin", not both');
  }
  const value = o.origins ?? o.origin;
  if (value === true) setting.reflectAny = true;
  else if (value === false) setting.disabled = true;
  else if (typeof value === 'function') {
    setting.resolver = fromCorsCallback(value, rules);
    setting.callback = true;
  } else if (Array.isArray(value)) {
    setting.specs = value;
    setting.emptyList = value.length === 0;
  }
  else if (value !== undefined) setting.specs = [value];
  if (o.resolveOrigin !== undefined) {
    if (typeof o.resolveOrigin !== 'function') {
      problems.add(`${at}resolveOrigin`, 'invalid_type', `expected a function, got ${describe(o.resolveOrigin)}`);
    } else if (setting.resolver) {
      problems.add(`${at}resolveOrigin`, 'invalid_type', 'set either "resolveOrigin" or an "origin" function, not both');
    } else {
      const fn = o.resolveOrigin as ResolveFn;
      setting.resolver = guardReflection(fn, fn, { allowReflectAny: rules.allowReflectAny, timeoutMs: rules.timeoutMs, what: 'resolveOrigin' });
      setting.guardedResolver = true;
    }
  }
  if (o.originStore !== undefined) {
    const store = o.originStore as { originsFor?: unknown } | null;
    if (typeof store !== 'object' || store === null || typeof store.originsFor !== 'function') {
      problems.add(`${at}originStore`, 'invalid_type', `expected an origin store (with originsFor), got ${describe(o.originStore)}`);
    } else if (setting.resolver) {
      problems.add(`${at}originStore`, 'invalid_type', 'set either "originStore" or a resolver ("resolveOrigin" / an "origin" function), not both');
    } else {
      const cache = new TenantOriginCache(o.originStore, {
        ttlMs: readPositive(o.resolverCacheTtlMs, 60_000, `${at}resolverCacheTtlMs`, new ProblemCollector(), true),
        maxTenants: 10_000,
        maxLoadsPerSecond: readPositive(o.originStoreMaxLoadsPerSecond, 200, `${at}originStoreMaxLoadsPerSecond`, problems, false),
        // Tenants without origins are remembered as long as denied origins are (problems reported by compile).
        unknownTtlMs: readPositive(o.resolverNegativeCacheTtlMs, 10_000, `${at}resolverNegativeCacheTtlMs`, new ProblemCollector(), true),
      });
      setting.storeCache = cache;
      setting.resolver = (origin, _raw, tenant) => cache.isAllowed(origin, tenant ?? '');
    }
  }
  return setting;
}
