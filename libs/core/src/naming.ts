/**
 * Batch and job names (BEHAVIOUR.md): `batch-<component>-<yyyyMMddHHmmss>-<8 random>` and
 * `<batchName>-<8 random>`. A job name is a label value and a DNS label, so at most 63 characters:
 * the component part is shortened to fit.
 */
export const MAX_NAME_LENGTH = 63;
const RANDOM_LENGTH = 8;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
// "batch-" + component + "-" + 14 digits + "-" + 8 random + "-" + 8 random
const FIXED_LENGTH = 'batch-'.length + 1 + 14 + 1 + RANDOM_LENGTH + 1 + RANDOM_LENGTH;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export type RandomSource = (length: number) => string;

// Random bytes are drawn 4 KB at a time: a call to the system's generator per name cost more than
// the rest of making the name (two names per accepted job).
const POOL_SIZE = 4096;
let pool = new Uint8Array(0);
let poolOffset = 0;

export const randomSuffix: RandomSource = (length) => {
  if (poolOffset + length > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(Math.max(POOL_SIZE, length)));
    poolOffset = 0;
  }
  let out = '';
  for (let i = poolOffset; i < poolOffset + length; i++) out += ALPHABET[pool[i] % ALPHABET.length];
  poolOffset += length;
  return out;
};

function timestamp(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    p(now.getUTCFullYear(), 4) + p(now.getUTCMonth() + 1) + p(now.getUTCDate()) +
    p(now.getUTCHours()) + p(now.getUTCMinutes()) + p(now.getUTCSeconds())
  );
}

function shortComponent(component: string): string {
  const room = MAX_NAME_LENGTH - FIXED_LENGTH;
  return component.slice(0, room).replace(/-+$/, '') || 'job';
}

export function makeBatchName(component: string, now: Date, random: RandomSource = randomSuffix): string {
  return `batch-${shortComponent(component)}-${timestamp(now)}-${random(RANDOM_LENGTH)}`;
}

export function makeJobName(batchName: string, random: RandomSource = randomSuffix): string {
  return `${batchName}-${random(RANDOM_LENGTH)}`;
}

/** True when the name is a DNS-1123 label (also a valid label value). */
export function isValidName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && DNS_LABEL.test(name);
}
