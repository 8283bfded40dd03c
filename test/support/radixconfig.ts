import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestJobComponent {
  /** The program and its arguments. */
  command: string[];
  timeLimitSeconds: number;
  variables: Record<string, string>;
  /** More YAML under the component (six spaces deep). */
  extra?: string;
}

/** Writes dir/radixconfig.yaml: application `app` with one job component, `compute`; returns its path. */
export function writeRadixConfig(dir: string, app: string, component: TestJobComponent): string {
  const path = join(dir, 'radixconfig.yaml');
  const variables = Object.entries(component.variables).map(([name, value]) => `        ${name}: ${JSON.stringify(value)}\n`);
  writeFileSync(
    path,
    `apiVersion: radix.equinor.com/v1
kind: RadixApplication
metadata:
  name: ${app}
spec:
  environments:
    - name: dev
  jobs:
    - name: compute
      src: compute
      schedulerPort: 8000
      image: registry.example/compute:1.0.0
      payload:
        path: /compute/args
      command: ${JSON.stringify(component.command)}
      timeLimitSeconds: ${component.timeLimitSeconds}
      backoffLimit: 0
      variables:
${variables.join('')}${component.extra ?? ''}`,
  );
  return path;
}
