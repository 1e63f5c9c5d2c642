/** What can be wrong with a configuration. Stable: match on these, not on messages. */
export type ConfigProblemCode =
  | 'invalid_type'
  | 'invalid_origin'
  | 'origin_has_path'
  | 'unanchored_regexp'
  | 'stateful_regexp_flag'
  | 'no_origins'
  | 'null_origin_not_enabled'
  | 'reflect_any_not_enabled'
  | 'credentials_with_any_origin'
  | 'credentials_with_reflect_any'
  | 'credentials_with_insecure_origin'
  | 'credentials_with_public_suffix_wildcard'
  | 'credentials_with_wildcard_headers'
  | 'wildcard_too_broad'
  | 'private_network_with_any_origin'
  | 'invalid_method'
  | 'forbidden_method'
  | 'invalid_header_name'
  | 'forbidden_header_name'
  /** A CORS response header (`Access-Control-Allow-Origin`, …) listed in allowedHeaders. */
  | 'response_header_in_allowed_headers'
  /** A request header or preflight-only header (`Origin`, `Access-Control-Max-Age`, …) listed in exposedHeaders. */
  | 'request_header_in_exposed_headers'
  /** Private Network Access with a plain-http origin that is not loopback. */
  | 'private_network_with_insecure_origin'
  | 'invalid_max_age'
  | 'invalid_status'
  | 'invalid_number'
  | 'invalid_route_path'
  | 'duplicate_route'
  | 'unknown_option'
  | 'weak_metrics_credentials'
  /** A `probeKey` shorter than 32 bytes. */
  | 'weak_probe_key'
  | 'credentials_with_request_chosen_tenant'
  | 'tenant_header_unusable'
  | 'unanchored_tenant_path'
  | 'regexp_too_broad'
  | 'regexp_not_linear'
  /** An origin RegExp whose reach could not be proven (too large an automaton, or a word boundary inside). */
  | 'regexp_undecidable'
  /** A policy file that cannot be read or parsed (see loadPolicyFile). */
  | 'invalid_policy_file'
  | ProtectionProblemCode
  | LocalServerProblemCode;

/** Problems only this preset can have (added to ConfigProblemCode). */
export type LocalServerProblemCode = 'local_server_conflict' | 'local_server_weakened' | 'invalid_host';

/** Problems only this option can have (added to ConfigProblemCode). */
export type ProtectionProblemCode =
  | 'invalid_protection_mode'
  | 'trusted_any_origin'
  | 'trusted_null_origin'
  | 'trusted_insecure_origin'
  | 'trusted_public_suffix_wildcard'
  | 'bypass_all_paths';

export interface ConfigProblem {
  /** Where the problem is, as a property path: `routes[1].origins[0]`. */
  readonly path: string;
  readonly code: ConfigProblemCode;
  readonly message: string;
}

/** Thrown by `corsSentinel()`/`compilePolicy()` with every problem found in the configuration. */
export class CorsConfigError extends Error {
  override readonly name = 'CorsConfigError';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const n = problems.length;
    super(
      `cors-sentinel: invalid configuration (${n} problem${n === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.path}: ${p.message} [${p.code}]`).join('\n'),
    );
    this.problems = Object.freeze([...problems]);
  }
}

/** A non-fatal remark about a valid configuration (e.g. a max-age some browsers will cap). */
export interface ConfigWarning {
  readonly path: string;
  readonly message: string;
}

/** Collects problems while a configuration is compiled, so that all of them are reported at once. */
export class ProblemCollector {
  readonly problems: ConfigProblem[] = [];
  readonly warnings: ConfigWarning[] = [];

  add(path: string, code: ConfigProblemCode, message: string): void {
    this.problems.push({ path, code, message });
  }

  warn(path: string, message: string): void {
    this.warnings.push({ path, message });
  }

  /** Adds another collector's findings under `prefix`, skipping problems whose `path|code|message` is in `skip`. */
  merge(other: ProblemCollector, prefix: string, skip: ReadonlySet<string>): void {
    for (const p of other.problems) {
      if (!skip.has(`${p.path}|${p.code}|${p.message}`)) this.add(`${prefix}${p.path}`, p.code, p.message);
    }
    for (const w of other.warnings) {
      if (!skip.has(`${w.path}|warning|${w.message}`)) this.warn(`${prefix}${w.path}`, w.message);
    }
  }

  throwIfAny(): void {
    if (this.problems.length > 0) throw new CorsConfigError(this.problems);
  }
}
