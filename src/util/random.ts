/**
 * Seeded pseudo-random numbers shared by the project: xoshiro128** (Blackman & Vigna, 2018)
 * seeded through splitmix32. The whole state is four uint32 words, so checkpoints save it with
 * `state()` and continue the exact same stream after `Rng.fromState()`.
 *
 * Not for cryptography. Use it for data order, augmentation and search decisions.
 */
import { InputError } from '../errors.ts';

/** The serialisable state of an {@link Rng}: four uint32 words. */
export interface RngState {
  algorithm: 'xoshiro128**';
  words: [number, number, number, number];
}

/** splitmix32 step: a well-mixed uint32 from a counter; used only for seeding. */
function splitmix32(seed: number): () => number {
  let counter = seed >>> 0;
  return () => {
    counter = (counter + 0x9e3779b9) >>> 0;
    let z = counter;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** 32-bit FNV-1a of a string, so seeds may be names ("run-3"). */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  }
  return hash;
}

function rotl(value: number, shift: number): number {
  return ((value << shift) | (value >>> (32 - shift))) >>> 0;
}

export class Rng {
  private readonly words: Uint32Array;

  private constructor(words: ArrayLike<number>) {
    this.words = Uint32Array.from(words);
    if (this.words.every((w) => w === 0)) {
      throw new InputError('random: expected a non-zero xoshiro128** state, got all zeros');
    }
  }

  /** A generator from an integer or string seed (the same seed always gives the same stream). */
  static fromSeed(seed: number | string): Rng {
    if (typeof seed === 'number' && !Number.isFinite(seed)) {
      throw new InputError(`random: expected a finite seed, got ${seed}`);
    }
    const base = typeof seed === 'string' ? hashString(seed) : Math.trunc(seed) >>> 0;
    const next = splitmix32(
      base ^ (typeof seed === 'number' ? Math.trunc(seed / 2 ** 32) >>> 0 : 0),
    );
    return new Rng([next(), next(), next(), next()]);
  }

  /** Continues the stream saved by {@link Rng.state}. */
  static fromState(state: RngState): Rng {
    const words = state?.words;
    if (
      state?.algorithm !== 'xoshiro128**' ||
      !Array.isArray(words) ||
      words.length !== 4 ||
      !words.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32)
    ) {
      throw new InputError(
        `random: expected {algorithm: "xoshiro128**", words: 4 uint32}, got ${JSON.stringify(state)}`,
      );
    }
    return new Rng(words);
  }

  /** A copy of the current state (JSON-serialisable). */
  state(): RngState {
    const [a, b, c, d] = this.words;
    return { algorithm: 'xoshiro128**', words: [a, b, c, d] };
  }

  /** An independent copy at the same position. */
  clone(): Rng {
    return new Rng(this.words);
  }

  /** A new generator seeded from this one's next draws (this one advances by 2 draws). */
  fork(): Rng {
    return Rng.fromSeed(this.nextUint32() + this.nextUint32() * 2 ** 32);
  }

  /** Next uint32 in [0, 2^32). */
  nextUint32(): number {
    const s = this.words;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  next(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform float in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.next();
  }

  /**
   * Uniform integer without modulo bias: `randInt(n)` in [0, n), `randInt(min, max)` in
   * [min, max). Bounds must be integers with a range of at most 2^32.
   */
  randInt(minOrCount: number, maxExclusive?: number): number {
    const min = maxExclusive === undefined ? 0 : minOrCount;
    const max = maxExclusive === undefined ? minOrCount : maxExclusive;
    const range = max - min;
    if (!Number.isInteger(min) || !Number.isInteger(max) || range <= 0 || range > 2 ** 32) {
      throw new InputError(
        `random: randInt expected integers min < max, range <= 2^32, got [${min}, ${max})`,
      );
    }
    const limit = 2 ** 32 - (2 ** 32 % range); // reject the incomplete last block
    let draw = this.nextUint32();
    while (draw >= limit) draw = this.nextUint32();
    return min + (draw % range);
  }

  /** Gaussian sample (Box-Muller; two uniforms per call, no cached spare so `state()` is whole). */
  normal(mean = 0, std = 1): number {
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** True with probability `p`. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.randInt(i + 1);
      const held = items[i];
      items[i] = items[j];
      items[j] = held;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** One element chosen uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new InputError('random: pick expected a non-empty list, got []');
    return items[this.randInt(items.length)];
  }
}

/** Shorthand for {@link Rng.fromSeed}. */
export function createRng(seed: number | string): Rng {
  return Rng.fromSeed(seed);
}
