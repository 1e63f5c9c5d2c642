/**
 * Tenant templates: `'/t/:tenant'` over the path, `':tenant.api.example.com'` over the host. They say
 * the same as the RegExp forms without a RegExp: a string scan per request (tens of nanoseconds, no
 * engine, no ReDoS), and no way to write an unanchored or ambiguous pattern.
 */
export const TENANT_PLACEHOLDER = ':tenant';

export type TemplateResult = { readonly ok: true; readonly read: (value: string) => string | undefined } | { readonly ok: false; readonly message: string };

/** `/t/:tenant` (or `/t/:tenant/`): the path starts with these segments; `:tenant` is one whole segment. */
export function compilePathTemplate(template: string): TemplateResult {
  const trimmed = template.endsWith('/') ? template.slice(0, -1) : template;
  const segments = trimmed.split('/');
  if (!template.startsWith('/') || segments.filter((s) => s === TENANT_PLACEHOLDER).length !== 1 || segments.slice(1).some((s) => s === '' || (s !== TENANT_PLACEHOLDER && /[:*?#\s]/.test(s)))) {
    return { ok: false, message: `${JSON.stringify(template)}: expected a path template such as "/t/:tenant" (one whole ":tenant" segment, literal segments otherwise)` };
  }
  const index = segments.indexOf(TENANT_PLACEHOLDER);
  // Routers match paths case-insensitively by default; the tenant id keeps its case.
  const before = `${segments.slice(0, index).join('/')}/`.toLowerCase();
  const after = segments.slice(index + 1).map((s) => s.toLowerCase());
  return {
    ok: true,
    read: (path) => {
      // startsWith first: browsers send the case the app's links use, so lower-casing is rarely needed.
      if (!path.startsWith(before) && (path.length < before.length || path.slice(0, before.length).toLowerCase() !== before)) return undefined;
      const end = path.indexOf('/', before.length);
      const tenant = end === -1 ? path.slice(before.length) : path.slice(before.length, end);
      if (after.length > 0) {
        const rest = end === -1 ? [] : path.slice(end + 1).split('/', after.length);
        if (rest.length < after.length || rest.some((s, i) => s.toLowerCase() !== after[i])) return undefined;
      }
      return tenant === '' ? undefined : tenant;
    },
  };
}

/** `:tenant.api.example.com`: the whole host (lower-case, no port), with `:tenant` one whole label. */
export function compileHostTemplate(template: string): TemplateResult {
  const labels = template.toLowerCase().split('.');
  if (labels.filter((l) => l === TENANT_PLACEHOLDER).length !== 1 || labels.some((l) => l !== TENANT_PLACEHOLDER && !/^[a-z0-9-]+$/.test(l))) {
    return { ok: false, message: `${JSON.stringify(template)}: expected a host template such as ":tenant.api.example.com" (one whole ":tenant" label)` };
  }
  const index = labels.indexOf(TENANT_PLACEHOLDER);
  const prefix = labels.slice(0, index).map((l) => `${l}.`).join('');
  const suffix = labels.slice(index + 1).map((l) => `.${l}`).join('');
  return {
    ok: true,
    read: (host) => {
      if (host.length <= prefix.length + suffix.length || !host.startsWith(prefix) || !host.endsWith(suffix)) return undefined;
      const tenant = host.slice(prefix.length, host.length - suffix.length);
      return tenant.includes('.') ? undefined : tenant;
    },
  };
}
