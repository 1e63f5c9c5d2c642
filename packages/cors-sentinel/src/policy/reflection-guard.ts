/**
 * A resolver or `origin` callback that says yes to every origin is reflection (`origin: true`) in
 * disguise, and with credentials it would let any site read users' data while `cors_config_info`
 * says `resolver`. Before its first answer counts, it is asked once about a random `.invalid` origin
 * nobody lists; if it vouches for that, every answer is an error (fail closed) unless the policy
 * set `dangerouslyReflectAnyOrigin` (which is never allowed with credentials).
 */
import { randomBytes } from 'node:crypto';

/** An origin lookup as configured: allowed or not, for an origin (of a tenant). */
export type ResolveFn = (origin: string, raw: unknown, tenant: string | undefined) => boolean | Promise<boolean>;

export class OriginRuleError extends Error {
  override readonly name = 'OriginRuleError';
}

export interface ReflectionGuardOptions {
  readonly allowReflectAny: boolean;
  /** How long the probe may take before the lookup fails closed (and the probe is retried later). */
  readonly timeoutMs: number;
  /** What the guarded function is called in error messages. */
  readonly what: string;
}

/** Whether `origin` is vouched for, asked the same way the guarded resolver would be. */
export type Vouches = (origin: string, raw: unknown, tenant: string | undefined) => boolean | Promise<boolean>;

export function guardReflection(resolve: ResolveFn, vouches: Vouches, options: ReflectionGuardOptions): ResolveFn {
  const probeOrigin = `https://cors-sentinel-probe-${randomBytes(6).toString('hex')}.invalid`;
  // undefined: not known yet; a promise: being probed; a boolean: known (stays synchronous from then on).
  let reflects: boolean | Promise<boolean | undefined> | undefined;
  const judged = (origin: string, raw: unknown, tenant: string | undefined, known: boolean | undefined): boolean | Promise<boolean> => {
    if (known === undefined) {
      // Probe inconclusive (slow): a "no" can still be trusted, a "yes" cannot. A resolver that hangs
      // hangs here too, so the request is counted as the timeout it is.
      return Promise.resolve(resolve(origin, raw, tenant)).then((allowed) => {
        if (allowed === true) throw new OriginRuleError(`${options.what} did not answer the reflection probe in time`);
        return false;
      });
    }
    if (known && !options.allowReflectAny) {
      throw new OriginRuleError(`${options.what} allows origins nobody lists (it reflects any origin); check the origin, or set dangerouslyReflectAnyOrigin (never with credentials)`);
    }
    return resolve(origin, raw, tenant);
  };
  return (origin, raw, tenant) => {
    if (typeof reflects === 'boolean') return judged(origin, raw, tenant, reflects);
    if (reflects === undefined) {
      let answer: unknown;
      try {
        answer = vouches(probeOrigin, raw, tenant);
      } catch {
        answer = false;
      }
      if (!(answer instanceof Promise)) reflects = answer === true;
      else {
        reflects = withTimeout(answer as Promise<boolean>, options.timeoutMs).then((r) => {
          reflects = r; // undefined (timed out): probe again on the next lookup
          return r;
        });
      }
    }
    if (typeof reflects === 'boolean') return judged(origin, raw, tenant, reflects);
    return reflects.then((known) => judged(origin, raw, tenant, known));
  };
}

function withTimeout(p: Promise<boolean>, ms: number): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
    p.then(
      (v) => (clearTimeout(timer), resolve(v === true)),
      () => (clearTimeout(timer), resolve(false)),
    );
  });
}
