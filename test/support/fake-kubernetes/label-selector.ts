/**
 * Kubernetes label selectors as the API server accepts them in `?labelSelector=`:
 * equality (`k=v`, `k==v`, `k!=v`), set-based (`k in (a,b)`, `k notin (a,b)`), existence (`k`, `!k`),
 * comma-separated and ANDed.
 */
export type Requirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

export class SelectorError extends Error {
  override name = 'SelectorError';
}

function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter(Boolean);
}

function parseRequirement(text: string): Requirement {
  const set = /^([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(text);
  if (set) {
    const values = set[3].split(',').map((v) => v.trim()).filter(Boolean);
    return { key: set[1], op: set[2] as 'in' | 'notin', values };
  }
  const equality = /^([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(text);
  if (equality) return { key: equality[1], op: equality[2] === '!=' ? 'neq' : 'eq', value: equality[3] };
  const notExists = /^!\s*([^\s!=()]+)$/.exec(text);
  if (notExists) return { key: notExists[1], op: 'notexists' };
  if (/^[^\s!=()]+$/.test(text)) return { key: text, op: 'exists' };
  throw new SelectorError(`unable to parse requirement: ${text}`);
}

export function parseSelector(selector: string | null | undefined): Requirement[] {
  return selector ? splitTopLevel(selector).map(parseRequirement) : [];
}

export function matches(labels: Record<string, string> | undefined, requirements: Requirement[]): boolean {
  const l = labels ?? {};
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'eq':
        return has && l[r.key] === r.value;
      case 'neq':
        return !has || l[r.key] !== r.value;
      case 'in':
        return has && r.values.includes(l[r.key]);
      case 'notin':
        return !has || !r.values.includes(l[r.key]);
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
  });
}
