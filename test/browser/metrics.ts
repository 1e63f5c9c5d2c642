/** `/metrics` as the browser tests read it: a small parser of the Prometheus text format. */


export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed Prometheus text exposition. */
export class Metrics {
  constructor(readonly samples: readonly Sample[]) {}

  /**
   * Every series of a metric as `{ 'label=value label=value…': value }` (labels in exposition
   * order), so tests can assert the exact set of series, not just the ones they expect.
   */
  series(name: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.samples) {
      if (s.name !== name) continue;
      out[seriesKey(s.labels)] = s.value;
    }
    return out;
  }

  /** Sum of a metric's samples whose labels include `match`. */
  sum(name: string, match: Readonly<Record<string, string>> = {}): number {
    let total = 0;
    for (const s of this.samples) {
      if (s.name !== name) continue;
      if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
    }
    return total;
  }

  /** `cors_requests_total` series. */
  get requests(): Record<string, number> {
    return this.series('cors_requests_total');
  }

  /** `cors_violations_total` series. */
  get violations(): Record<string, number> {
    return this.series('cors_violations_total');
  }
}

function seriesKey(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** Expected `cors_requests_total` series: `[route, request_type, outcome, origin, value]` rows. */
export function requestSeries(...rows: Array<[route: string, requestType: string, outcome: string, origin: string, value: number]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, requestType, outcome, origin, value] of rows) {
    out[seriesKey({ route, request_type: requestType, outcome, origin })] = value;
  }
  return out;
}

/** Expected `cors_violations_total` series: `[route, request_type, reason, value]` rows. */
export function violationSeries(...rows: Array<[route: string, requestType: string, reason: string, value: number]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, requestType, reason, value] of rows) out[seriesKey({ route, request_type: requestType, reason })] = value;
  return out;
}

/** Parses the Prometheus text format (enough of it for prom-client's output). */
export function parseMetrics(text: string): Metrics {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (!m) throw new Error(`unparseable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2] !== undefined && m[2] !== '') {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
      let lm: RegExpExecArray | null;
      let consumed = 0;
      while ((lm = re.exec(m[2])) !== null) {
        labels[lm[1] as string] = (lm[2] as string).replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
        consumed = re.lastIndex;
      }
      if (consumed !== m[2].length) throw new Error(`unparseable labels: ${line}`);
    }
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return new Metrics(samples);
}
