/**
 * Where `cors-sentinel proxy` and `logs` send OTLP (packages/cli/src/otlp/export.ts): the flag, then
 * the signal's variable as is, then the general one with /v1/metrics, as the OTel specification
 * orders them; anything that is not an http(s) URL or a whole number of milliseconds is a usage error.
 */
import { otlpSettings } from '../../packages/cli/src/otlp/export';
import { isUsageError } from '../../packages/cli/src/cli-args';

describe('OTLP export settings', () => {
  it('takes the flag, then OTEL_EXPORTER_OTLP_METRICS_ENDPOINT as is, then OTEL_EXPORTER_OTLP_ENDPOINT + /v1/metrics', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://general:4318', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'https://specific:4318/custom' };
    expect(otlpSettings('http://flag:4318/v1/metrics', 'proxy', env)?.url).toBe('http://flag:4318/v1/metrics');
    expect(otlpSettings('http://flag:4318', 'proxy', env)?.url).toBe('http://flag:4318/v1/metrics');
    expect(otlpSettings(undefined, 'proxy', env)?.url).toBe('https://specific:4318/custom');
    expect(otlpSettings(undefined, 'proxy', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://general:4318/otlp/' })?.url).toBe('http://general:4318/otlp/v1/metrics');
    expect(otlpSettings(undefined, 'proxy', {})).toBeUndefined();
    expect(otlpSettings(undefined, 'proxy', { OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBeUndefined();
  });

  it('reads the interval and keeps the export timeout within it', () => {
    expect(otlpSettings('http://c:4318', 'logs', {})).toMatchObject({ intervalMs: 60_000, timeoutMs: 30_000 });
    expect(otlpSettings('http://c:4318', 'logs', { OTEL_METRIC_EXPORT_INTERVAL: '5000' })).toMatchObject({ intervalMs: 5000, timeoutMs: 5000 });
  });

  it('refuses what would otherwise be sent elsewhere or never', () => {
    const refused = (flag: string | undefined, env: Record<string, string>, message: RegExp) => {
      let caught: unknown;
      try {
        otlpSettings(flag, 'proxy', env);
      } catch (err) {
        caught = err;
      }
      expect(isUsageError(caught)).toBe(true);
      expect((caught as Error).message).toMatch(message);
    };
    refused('collector:4318', {}, /only http:\/\/ and https:\/\//);
    refused('', {}, /is not a URL/);
    refused(undefined, { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'grpc://c:4317' }, /OTEL_EXPORTER_OTLP_METRICS_ENDPOINT/);
    refused(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, /OTEL_EXPORTER_OTLP_ENDPOINT "not a url" is not a URL/);
    refused('http://c:4318', { OTEL_METRIC_EXPORT_INTERVAL: '10s' }, /OTEL_METRIC_EXPORT_INTERVAL="10s"/);
    refused('http://c:4318', { OTEL_METRIC_EXPORT_INTERVAL: '0' }, /above 0/);
  });
});
