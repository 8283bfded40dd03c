import type { FieldProblem } from './errors';

/**
 * The value of a query parameter that may be given once (a parsed query string holds an array for a
 * repeated one): undefined when absent; a repeated one is added to `problems`, named by `name`.
 */
export function singleQueryValue(query: Record<string, unknown>, name: string, problems: FieldProblem[]): string | undefined {
  const value = query[name];
  if (value === undefined || typeof value === 'string') return value;
  problems.push({ path: name, message: 'must be given once' });
  return undefined;
}
