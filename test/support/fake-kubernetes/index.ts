export { FakeKubernetesServer, type FakeKubernetesOptions, type RequestRecord } from './fake-kubernetes-server';
export type { FakeImage } from './fake-kubelet';
export type { KubeObject } from './object-store';
export { parseSelector, matches } from './label-selector';
