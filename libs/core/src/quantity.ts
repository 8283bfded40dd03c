/**
 * Kubernetes resource quantities ("100m", "1.5Gi", "2e3"): parsing for validation and for comparing
 * requests with limits. Mirrors k8s.io/apimachinery's grammar for non-negative values.
 */
const QUANTITY = /^(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const SUFFIX: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/**
 * Parsed quantities by their text: every accepted job checks its resources, which are mostly the
 * same few values (the job component's), and the regular expressions cost ~1 µs per value.
 * Bounded (short texts only, cleared when full), so odd values sent by clients cannot grow it.
 */
const parsed = new Map<string, number | undefined>();
const PARSED_LIMIT = 256;

/** The quantity's value, or undefined when the text is not a valid non-negative quantity. */
export function parseQuantity(text: string): number | undefined {
  if (typeof text !== 'string') return undefined;
  if (parsed.has(text)) return parsed.get(text);
  const value = parseQuantityText(text);
  if (text.length > 64) return value;
  if (parsed.size >= PARSED_LIMIT) parsed.clear();
  parsed.set(text, value);
  return value;
}

function parseQuantityText(text: string): number | undefined {
  const match = QUANTITY.exec(text.trim() === text ? text : '');
  if (!match) return undefined;
  const [, number, suffix = ''] = match;
  // `E` (exa) and `Ei` (exbi) are suffixes; only `e`/`E` followed by digits is an exponent.
  const multiplier = /^[eE][+-]?\d+$/.test(suffix) ? 10 ** Number(suffix.slice(1)) : SUFFIX[suffix];
  const value = Number(number) * multiplier;
  return Number.isFinite(value) ? value : undefined;
}

export const isQuantity = (text: unknown): boolean => typeof text === 'string' && parseQuantity(text) !== undefined;
