// Validates Kubernetes resources against their schemas: the prometheus-operator CRDs' openAPI
// schemas (@kubernetes-models/prometheus-operator) and the core API's (kubernetes-models). Both are
// ESM-only, so the Jest test runs this file with node. Prints one JSON line per document.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';

const KINDS = { PrometheusRule, ServiceMonitor, PodMonitor, ConfigMap };

for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const object = doc.toJS();
    const Model = KINDS[object.kind];
    let error = Model ? null : `unknown kind ${object.kind}`;
    if (Model) {
      try {
        new Model(object).validate();
      } catch (err) {
        error = String(err.message);
      }
    }
    console.log(JSON.stringify({ file, kind: object.kind, name: object.metadata?.name, error }));
  }
}
