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

/**
 * Hands out the sticky slots when several processes must agree on them (cluster workers): the
 * primary decides, so that every worker labels an origin alike and summed series stay meaningful.
 */
/**
 * `granted`: the origin has (or now takes) a slot. `full`: no slot is left, and `slots` lists every
 * origin that has one — final once full, so a worker can label any origin alike without asking.
 * `unanswered`: fold this request's origin.
 */
export type ClaimAnswer = { readonly kind: 'granted' } | { readonly kind: 'full'; readonly slots: readonly string[] } | { readonly kind: 'unanswered' };

export interface SlotAuthority {
  claim(origin: string): Promise<ClaimAnswer>;
}

export class OriginLabeler {
  private readonly slots = new Set<string>();
  /** With an authority: it said the slots are full, so new origins fold without asking. */
  private full = false;
  private readonly pending = new Map<string, Promise<ClaimAnswer>>();

  constructor(
    readonly limit: number,
    private readonly configured: ReadonlySet<string>,
    private readonly authority?: SlotAuthority,
  ) {}

  get slotsUsed(): number {
    return this.slots.size;
  }

  /** The label for a decision's origin; a promise only while a cluster primary is being asked. */
  label(decision: Pick<Decision, 'origin' | 'originPattern' | 'originSource'>): LabelResult | Promise<LabelResult> {
    const origin = decision.origin;
    if (origin === undefined) return { label: '', overflow: false, newSlot: false };
    if (origin === 'null' || origin === INVALID_ORIGIN_LABEL || this.configured.has(origin) || this.slots.has(origin)) {
      return { label: origin, overflow: false, newSlot: false };
    }
    if (this.authority === undefined) {
      if (this.slots.size < this.limit) {
        this.slots.add(origin);
        return { label: origin, overflow: false, newSlot: true };
      }
      return fold(decision);
    }
    // An origin already being asked about waits for that answer, even if the slots filled meanwhile:
    // every request of one origin must get the same label.
    let claim = this.pending.get(origin);
    if (claim === undefined) {
      if (this.full) return fold(decision);
      claim = this.authority.claim(origin).then((answer) => {
        this.pending.delete(origin);
        if (answer.kind === 'granted') this.slots.add(origin);
        if (answer.kind === 'full') {
          for (const o of answer.slots) this.slots.add(o);
          this.full = true;
        }
        return answer;
      });
      this.pending.set(origin, claim);
    }
    return claim.then(() => (this.slots.has(origin) ? { label: origin, overflow: false, newSlot: true } : fold(decision)));
  }
}

function fold(decision: Pick<Decision, 'originPattern' | 'originSource'>): LabelResult {
  if (decision.originSource === 'wildcard' && decision.originPattern !== undefined) {
    return { label: decision.originPattern, overflow: true, newSlot: false };
  }
  return { label: OTHER_ORIGIN_LABEL, overflow: true, newSlot: false };
}
