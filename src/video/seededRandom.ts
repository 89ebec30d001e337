/**
 * A small seeded random source (mulberry32): same seed, same sequence, on every platform.
 * Returns a function giving floats in [0, 1).
 */
export function createRandom(seed: number): () => number {
  let state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [0, maxInclusive]. */
export function randomInt(random: () => number, maxInclusive: number): number {
  return Math.min(maxInclusive, Math.floor(random() * (maxInclusive + 1)));
}
