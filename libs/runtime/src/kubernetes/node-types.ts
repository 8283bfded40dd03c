import { readFileSync } from 'node:fs';
import type { V1NodeSelectorRequirement, V1Toleration } from '@kubernetes/client-node';
import { parse } from 'yaml';
import type { NodeRequirement, Runtime } from '@rjs/core';

/** Where a pod may run and which extra resources it asks for. */
export interface Placement {
  /** Node label requirements, all of which must hold (one nodeSelectorTerm). */
  matchExpressions: V1NodeSelectorRequirement[];
  tolerations: V1Toleration[];
  /** Extra resource limits, e.g. `{ 'nvidia.com/gpu': '1' }`. */
  limits: Record<string, string>;
}

/** The placement of one node type; a field left out follows the Radix convention. */
export interface NodeTypeRule {
  matchExpressions?: V1NodeSelectorRequirement[];
  tolerations?: V1Toleration[];
  limits?: Record<string, string>;
}

/** How `runtime.nodeType` and the older `node {gpu, gpuCount}` become node selection. */
export interface NodeTypeMapping {
  /** Node types with their own placement. A node type not listed follows the convention. */
  nodeTypes: Record<string, NodeTypeRule>;
  /** Convention: nodes of type T carry the label `<nodeTypeLabel>=T`... */
  nodeTypeLabel: string;
  /** ...and the taint `<nodeTypeTaint>=T:NoSchedule`. */
  nodeTypeTaint: string;
  /** The older GPU form: `gpu` lists GPU node types (`-name` excludes one), `gpuCount` a minimum. */
  gpu: {
    gpuLabel: string;
    gpuCountLabel: string;
    tolerations: V1Toleration[];
    /** Extended resource requested per GPU, e.g. `nvidia.com/gpu`; empty: request none. */
    resource: string;
  };
  /** Placement of jobs that ask for neither a node type nor GPUs (Radix clusters: a job node pool). */
  default: Placement;
}

/** Defaults that follow radix-operator (pkg/apis/utils/affinity.go, tolerations.go). */
export const DEFAULT_NODE_TYPE_MAPPING: NodeTypeMapping = {
  nodeTypes: {},
  nodeTypeLabel: 'radix-nodetype',
  nodeTypeTaint: 'radix-nodetype',
  gpu: {
    gpuLabel: 'radix-node-gpu',
    gpuCountLabel: 'radix-node-gpu-count',
    tolerations: [{ key: 'radix-node-gpu-count', operator: 'Exists', effect: 'NoSchedule' }],
    resource: 'nvidia.com/gpu',
  },
  // Radix pins jobs to its `nodepooltasks` pool; a plain cluster has no such pool, so no default.
  default: { matchExpressions: [], tolerations: [], limits: {} },
};

const OS_LABEL = 'kubernetes.io/os';
const ARCH_LABEL = 'kubernetes.io/arch';
/** Where Radix places a job that names no architecture: Linux nodes of this architecture. */
export const DEFAULT_ARCHITECTURE = 'amd64';

/** Thrown for a job whose node requirements cannot be turned into a placement. */
export class PlacementError extends Error {
  override name = 'PlacementError';
}

/**
 * The placement of a job: node type first, then the older GPU form, then the default; and, in the
 * same nodeSelectorTerm (terms would be alternatives), Linux nodes of the job's architecture, else
 * of `defaultArchitecture`, as Radix places jobs. A configured placement that names the OS or
 * architecture label itself is left to decide it (an arm64 node pool, say), unless the job asks for
 * an architecture that placement excludes: that is an error, not a pod that never schedules.
 */
export function placementFor(
  job: { runtime?: Runtime; node?: NodeRequirement },
  mapping: NodeTypeMapping,
  defaultArchitecture: string = DEFAULT_ARCHITECTURE,
): Placement {
  const nodeType = job.runtime?.nodeType;
  const base = nodeType ? nodeTypePlacement(nodeType, mapping) : (gpuPlacement(job.node, mapping) ?? mapping.default);
  const platform = platformRequirements(base.matchExpressions, job.runtime?.architecture, defaultArchitecture);
  return { matchExpressions: [...base.matchExpressions, ...platform], tolerations: [...base.tolerations], limits: { ...base.limits } };
}

function platformRequirements(configured: V1NodeSelectorRequirement[], architecture: string | undefined, defaultArchitecture: string): V1NodeSelectorRequirement[] {
  const names = (key: string) => configured.some((r) => r.key === key);
  const requirements: V1NodeSelectorRequirement[] = [];
  if (!names(OS_LABEL)) requirements.push({ key: OS_LABEL, operator: 'In', values: ['linux'] });
  if (architecture) {
    const excluding = configured.find((r) => r.key === ARCH_LABEL && !admits(r, architecture));
    if (excluding) {
      const values = excluding.values?.length ? ` [${excluding.values.join(', ')}]` : '';
      throw new PlacementError(`runtime.architecture ${architecture} contradicts the configured placement ${ARCH_LABEL} ${excluding.operator}${values}`);
    }
    requirements.push({ key: ARCH_LABEL, operator: 'In', values: [architecture] });
  } else if (!names(ARCH_LABEL)) {
    requirements.push({ key: ARCH_LABEL, operator: 'In', values: [defaultArchitecture] });
  }
  return requirements;
}

/** Whether a node labelled `value` can meet the requirement (Gt and Lt compare numbers, never an architecture). */
function admits(requirement: V1NodeSelectorRequirement, value: string): boolean {
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In':
      return values.includes(value);
    case 'NotIn':
      return !values.includes(value);
    case 'Exists':
      return true;
    default:
      return false;
  }
}

function nodeTypePlacement(nodeType: string, mapping: NodeTypeMapping): Placement {
  const rule = mapping.nodeTypes[nodeType] ?? {};
  return {
    matchExpressions: rule.matchExpressions ?? [{ key: mapping.nodeTypeLabel, operator: 'In', values: [nodeType] }],
    tolerations: rule.tolerations ?? [{ key: mapping.nodeTypeTaint, operator: 'Equal', value: nodeType, effect: 'NoSchedule' }],
    limits: rule.limits ?? {},
  };
}

/** As radix-operator: GPU names are trimmed and lower-cased; `-name` excludes a GPU type. */
export function gpuLists(gpu: string | undefined): { include: string[]; exclude: string[] } {
  const names = (gpu ?? '').split(',').map((g) => g.trim().toLowerCase()).filter(Boolean);
  return {
    include: names.filter((g) => !g.startsWith('-')),
    exclude: names.filter((g) => g.startsWith('-')).map((g) => g.slice(1).trim()).filter(Boolean),
  };
}

function gpuCountOf(gpuCount: string | undefined): number | undefined {
  const raw = String(gpuCount ?? '').trim();
  if (!raw) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) <= 0) throw new PlacementError(`node.gpuCount must be a positive whole number, got "${raw}"`);
  return Number(raw);
}

function gpuPlacement(node: NodeRequirement | undefined, mapping: NodeTypeMapping): Placement | undefined {
  const { include, exclude } = gpuLists(node?.gpu);
  if (include.length + exclude.length === 0) return undefined;
  const count = gpuCountOf(node?.gpuCount);
  const { gpu } = mapping;
  const matchExpressions: V1NodeSelectorRequirement[] = [];
  // Radix: at least `count` GPUs means the count label is greater than count - 1.
  if (count !== undefined) matchExpressions.push({ key: gpu.gpuCountLabel, operator: 'Gt', values: [String(count - 1)] });
  if (include.length) matchExpressions.push({ key: gpu.gpuLabel, operator: 'In', values: include });
  if (exclude.length) matchExpressions.push({ key: gpu.gpuLabel, operator: 'NotIn', values: exclude });
  const limits = gpu.resource ? { [gpu.resource]: String(count ?? 1) } : {};
  return { matchExpressions, tolerations: gpu.tolerations, limits };
}

// ---- parsing the operators' YAML file (KUBE_NODE_TYPES_FILE) ----

type Problems = string[];
type Raw = Record<string, unknown>;

const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];
const TOLERATION_OPERATORS = ['Equal', 'Exists'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function unknownKeys(raw: Raw, allowed: string[], path: string, problems: Problems): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) problems.push(`${path}${key} is not a known field (expected one of ${allowed.join(', ')})`);
  }
}

function readString(raw: Raw, key: string, path: string, problems: Problems): string | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    problems.push(`${path}${key} must be a string`);
    return undefined;
  }
  return value;
}

function readStringMap(value: unknown, path: string, problems: Problems): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) {
    problems.push(`${path} must be a map of strings`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    // Quantities such as `1` arrive as YAML numbers.
    if (typeof v === 'string' || typeof v === 'number') out[k] = String(v);
    else problems.push(`${path}.${k} must be a string`);
  }
  return out;
}

function readRequirement(value: unknown, path: string, problems: Problems): V1NodeSelectorRequirement | undefined {
  if (!isRecord(value)) {
    problems.push(`${path} must be a map with key, operator and values`);
    return undefined;
  }
  unknownKeys(value, ['key', 'operator', 'values'], `${path}.`, problems);
  const key = readString(value, 'key', `${path}.`, problems);
  const operator = readString(value, 'operator', `${path}.`, problems);
  if (!key) problems.push(`${path}.key is required`);
  if (!operator || !SELECTOR_OPERATORS.includes(operator)) problems.push(`${path}.operator must be one of ${SELECTOR_OPERATORS.join(', ')}`);
  const values = value.values;
  if (values !== undefined && (!Array.isArray(values) || values.some((v) => typeof v !== 'string' && typeof v !== 'number'))) {
    problems.push(`${path}.values must be a list of strings`);
  }
  if (!key || !operator) return undefined;
  const requirement: V1NodeSelectorRequirement = { key, operator };
  if (Array.isArray(values)) requirement.values = values.map(String);
  return requirement;
}

function readToleration(value: unknown, path: string, problems: Problems): V1Toleration | undefined {
  if (!isRecord(value)) {
    problems.push(`${path} must be a map with key, operator, value and effect`);
    return undefined;
  }
  unknownKeys(value, ['key', 'operator', 'value', 'effect'], `${path}.`, problems);
  const toleration: V1Toleration = {};
  const key = readString(value, 'key', `${path}.`, problems);
  const operator = readString(value, 'operator', `${path}.`, problems);
  const tolerationValue = readString(value, 'value', `${path}.`, problems);
  const effect = readString(value, 'effect', `${path}.`, problems);
  if (operator !== undefined && !TOLERATION_OPERATORS.includes(operator)) problems.push(`${path}.operator must be Equal or Exists`);
  if (effect !== undefined && !TAINT_EFFECTS.includes(effect)) problems.push(`${path}.effect must be one of ${TAINT_EFFECTS.join(', ')}`);
  if (key !== undefined) toleration.key = key;
  if (operator !== undefined) toleration.operator = operator;
  if (tolerationValue !== undefined) toleration.value = tolerationValue;
  if (effect !== undefined) toleration.effect = effect;
  return toleration;
}

function readList<T>(value: unknown, path: string, problems: Problems, item: (v: unknown, p: string, pr: Problems) => T | undefined): T[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    problems.push(`${path} must be a list`);
    return undefined;
  }
  return value.map((v, i) => item(v, `${path}[${i}]`, problems)).filter((v): v is T => v !== undefined);
}

/** `nodeSelector` (shorthand for `key In [value]`) and `matchExpressions` together. */
function readMatch(raw: Raw, path: string, problems: Problems): V1NodeSelectorRequirement[] | undefined {
  const selector = readStringMap(raw.nodeSelector, `${path}nodeSelector`, problems);
  const expressions = readList(raw.matchExpressions, `${path}matchExpressions`, problems, readRequirement);
  if (selector === undefined && expressions === undefined) return undefined;
  const fromSelector = Object.entries(selector ?? {}).map(([key, value]) => ({ key, operator: 'In', values: [value] }));
  return [...fromSelector, ...(expressions ?? [])];
}

function readNodeTypeRule(value: unknown, path: string, problems: Problems): NodeTypeRule {
  if (value === null || value === undefined) return {};
  if (!isRecord(value)) {
    problems.push(`${path} must be a map`);
    return {};
  }
  unknownKeys(value, ['nodeSelector', 'matchExpressions', 'tolerations', 'limits'], `${path}.`, problems);
  const rule: NodeTypeRule = {};
  const match = readMatch(value, `${path}.`, problems);
  const tolerations = readList(value.tolerations, `${path}.tolerations`, problems, readToleration);
  const limits = readStringMap(value.limits, `${path}.limits`, problems);
  if (match) rule.matchExpressions = match;
  if (tolerations) rule.tolerations = tolerations;
  if (limits) rule.limits = limits;
  return rule;
}

function readGpu(value: unknown, problems: Problems): NodeTypeMapping['gpu'] {
  const defaults = DEFAULT_NODE_TYPE_MAPPING.gpu;
  if (value === undefined || value === null) return defaults;
  if (!isRecord(value)) {
    problems.push('gpu must be a map');
    return defaults;
  }
  unknownKeys(value, ['gpuLabel', 'gpuCountLabel', 'tolerations', 'resource'], 'gpu.', problems);
  return {
    gpuLabel: readString(value, 'gpuLabel', 'gpu.', problems) ?? defaults.gpuLabel,
    gpuCountLabel: readString(value, 'gpuCountLabel', 'gpu.', problems) ?? defaults.gpuCountLabel,
    tolerations: readList(value.tolerations, 'gpu.tolerations', problems, readToleration) ?? defaults.tolerations,
    resource: readString(value, 'resource', 'gpu.', problems) ?? defaults.resource,
  };
}

function readDefault(value: unknown, problems: Problems): Placement {
  if (value === undefined || value === null) return DEFAULT_NODE_TYPE_MAPPING.default;
  if (!isRecord(value)) {
    problems.push('default must be a map');
    return DEFAULT_NODE_TYPE_MAPPING.default;
  }
  unknownKeys(value, ['nodeSelector', 'matchExpressions', 'tolerations'], 'default.', problems);
  return {
    matchExpressions: readMatch(value, 'default.', problems) ?? [],
    tolerations: readList(value.tolerations, 'default.tolerations', problems, readToleration) ?? [],
    limits: {},
  };
}

/**
 * Parses the node type mapping (YAML; see README.md). Every field is optional and falls back to
 * DEFAULT_NODE_TYPE_MAPPING. Returns every problem found, each named by its path, so the process
 * can refuse to start with the full list.
 */
export function parseNodeTypeMapping(text: string): { mapping: NodeTypeMapping; problems: string[] } {
  const problems: Problems = [];
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    return { mapping: DEFAULT_NODE_TYPE_MAPPING, problems: [`not valid YAML: ${(error as Error).message}`] };
  }
  if (doc === null || doc === undefined) return { mapping: DEFAULT_NODE_TYPE_MAPPING, problems };
  if (!isRecord(doc)) return { mapping: DEFAULT_NODE_TYPE_MAPPING, problems: ['the document must be a map'] };
  unknownKeys(doc, ['nodeTypeLabel', 'nodeTypeTaint', 'nodeTypes', 'gpu', 'default'], '', problems);
  const nodeTypes: Record<string, NodeTypeRule> = {};
  if (doc.nodeTypes !== undefined && doc.nodeTypes !== null) {
    if (!isRecord(doc.nodeTypes)) problems.push('nodeTypes must be a map of node type names');
    else for (const [name, rule] of Object.entries(doc.nodeTypes)) nodeTypes[name] = readNodeTypeRule(rule, `nodeTypes.${name}`, problems);
  }
  const mapping: NodeTypeMapping = {
    nodeTypes,
    nodeTypeLabel: readString(doc, 'nodeTypeLabel', '', problems) ?? DEFAULT_NODE_TYPE_MAPPING.nodeTypeLabel,
    nodeTypeTaint: readString(doc, 'nodeTypeTaint', '', problems) ?? DEFAULT_NODE_TYPE_MAPPING.nodeTypeTaint,
    gpu: readGpu(doc.gpu, problems),
    default: readDefault(doc.default, problems),
  };
  return { mapping, problems };
}

/** Reads and parses the file KUBE_NODE_TYPES_FILE names; throws with every problem listed. */
export function loadNodeTypeMapping(path: string): NodeTypeMapping {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`KUBE_NODE_TYPES_FILE: cannot read ${path}: ${(error as Error).message}`);
  }
  const { mapping, problems } = parseNodeTypeMapping(text);
  if (problems.length) throw new Error(`KUBE_NODE_TYPES_FILE ${path}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return mapping;
}
