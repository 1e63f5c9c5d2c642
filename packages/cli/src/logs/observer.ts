/**
 * The access-log observer: each line becomes one observation of the CORS observer (the same metric
 * contract, findings, origin label guard and report-only candidate as the middleware's observe mode),
 * and every line is counted by result in `cors_log_lines_total`.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { createObserver, type CorsObserverOptions, type Observer } from 'cors-sentinel/internal/observer/observer';
import { parseNginxJsonLine } from './nginx';

export const LOG_LINE_RESULTS = ['observed', 'malformed'] as const;
export type LogLineResult = (typeof LOG_LINE_RESULTS)[number];

export interface LogObserver {
  readonly observer: Observer;
  readonly registry: Registry;
  /** One log line, or undefined for a line that was too long to keep. */
  line: (text: string | undefined) => LogLineResult;
  /** Where `<prefix>log_read_failing` reads the reader's state from at each scrape. */
  watchReading: (readingOk: () => boolean) => void;
  close(): void;
}

/** The time of the line being read (NaN for a line without one): the evidence ledger's clock (`evidence.now`). */
export interface LineClock {
  time: number;
}

/**
 * `onLine` hears each line's result and the CORS fields it lacked (the blindness watch); `clock` is set
 * to each line's own time before the line is observed, so that evidence dates what the log says.
 */
export function createLogObserver(options: CorsObserverOptions, onLine?: (result: LogLineResult, missing: readonly string[]) => void, clock?: LineClock): LogObserver {
  const registry = (options.metrics && options.metrics.registry) || new Registry();
  const observer = createObserver({ ...options, metrics: { ...(options.metrics || {}), registry } });
  // A log line holds no answer time: the histogram would time the reader's parsing (~2 µs), so the log
  // reader does not export it (docs/proxy.md). The proxy and the middleware time real answers.
  registry.removeSingleMetric(`${observer.metrics?.prefix ?? 'cors_'}preflight_duration_seconds`);
  const name = `${observer.metrics?.prefix ?? 'cors_'}log_lines_total`;
  const lines = (registry.getSingleMetric(name) as Counter<'result'> | undefined) ??
    new Counter({ name, help: 'Access-log lines read by the log observer, by result (malformed lines are skipped).', labelNames: ['result'], registers: [registry] });
  const counters = { observed: lines.labels('observed'), malformed: lines.labels('malformed') };
  counters.observed.inc(0);
  counters.malformed.inc(0);
  const state = readerState(registry, observer.metrics?.prefix ?? 'cors_');

  return {
    observer,
    registry,
    line(text) {
      state.lastLine.set(Date.now() / 1000);
      const entry = text === undefined ? undefined : parseNginxJsonLine(text);
      if (entry === undefined) {
        counters.malformed.inc();
        onLine?.('malformed', []);
        return 'malformed';
      }
      if (clock) clock.time = entry.time ?? Number.NaN;
      try {
        observer.begin(entry.request, entry.rawOrigin).complete(entry.response);
      } catch {
        counters.malformed.inc(); // a line the observer cannot take is skipped like any other bad line
        onLine?.('malformed', []);
        return 'malformed';
      }
      counters.observed.inc();
      onLine?.('observed', entry.missing);
      return 'observed';
    },
    watchReading: (readingOk) => {
      state.readingOk = readingOk;
    },
    close: () => observer.close(),
  };
}

/**
 * The reader's own state as series, beside the line counter: whether the log cannot be read now
 * (what /healthz says), and when the last line was read. A stuck reader's counters go flat, not
 * absent; these say why (the mixin's rules also judge the counter alone).
 */
function readerState(registry: Registry, prefix: string): { lastLine: Gauge; readingOk: () => boolean } {
  const state = { readingOk: () => true } as { lastLine: Gauge; readingOk: () => boolean };
  const failingName = `${prefix}log_read_failing`;
  if (!registry.getSingleMetric(failingName)) {
    new Gauge({
      name: failingName, registers: [registry],
      help: 'Whether the log reader cannot read its log now (1: polls have failed for a while, /healthz answers 503) or reads it (0).',
      collect() {
        this.set(state.readingOk() ? 0 : 1);
      },
    });
  }
  const lastName = `${prefix}log_last_line_timestamp_seconds`;
  state.lastLine = (registry.getSingleMetric(lastName) as Gauge | undefined) ??
    new Gauge({ name: lastName, registers: [registry], help: 'Unix time at which the log reader last read a line (any result); 0 until the first line.' });
  return state;
}
