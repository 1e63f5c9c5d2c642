/**
 * The origin label guard. An attacker controls `Origin`, so it can never be a raw label value:
 * - exactly configured origins always keep their value (bounded by the config);
 * - other origins take one of `limit` first-come slots, never evicted, so an origin that was once
 *   seen keeps its own series (an allowed frontend that starts being rejected stays visible);
 * - once the slots are full, origins admitted by a wildcard pattern are labelled with the pattern,
 *   everything else becomes `__other__`;
 * - `null` and `__invalid__` are values of their own.
 */
import { INVALID_ORIGIN_LABEL, type Decision } from '../engine/decision';

export const OTHER_ORIGIN_LABEL = '__other__';
export const DEFAULT_ORIGIN_LABEL_LIMIT = 50;

export interface LabelResult {
  readonly label: string;
  /** True when the origin was folded because the slots were full. */
  readonly overflow: boolean;
  /** True when this call took a new slot. */
  readonly newSlot: boolean;
}

export class OriginLabeler {
  private readonly slots = new Set<string>();

  constructor(
    readonly limit: number,
    private readonly configured: ReadonlySet<string>,
  ) {}

  get slotsUsed(): number {
    return this.slots.size;
  }

  label(decision: Pick<Decision, 'origin' | 'originPattern' | 'originSource'>): LabelResult {
    const origin = decision.origin;
    if (origin === undefined) return { label: '', overflow: false, newSlot: false };
    if (origin === 'null' || origin === INVALID_ORIGIN_LABEL || this.configured.has(origin) || this.slots.has(origin)) {
      return { label: origin, overflow: false, newSlot: false };
    }
    if (this.slots.size < this.limit) {
      this.slots.add(origin);
      return { label: origin, overflow: false, newSlot: true };
    }
    if (decision.originSource === 'wildcard' && decision.originPattern !== undefined) {
      return { label: decision.originPattern, overflow: true, newSlot: false };
    }
    return { label: OTHER_ORIGIN_LABEL, overflow: true, newSlot: false };
  }
}
