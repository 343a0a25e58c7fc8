/** The largest seed: the generator is seeded from 32 bits, so a larger seed would repeat a smaller one's stream. */
export const MAX_SEED = 2 ** 32 - 1;

/**
 * Seeded, checkpointable random number generator (xoshiro128**). All randomness in Floe —
 * weight init, shuffling, dropout seeds, synthetic data — flows from one of these, so a run is
 * reproducible from its `seed` and resumable from the saved state.
 */
export class Rng {
  private s: Uint32Array;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    this.s = new Uint32Array(4);
    // splitmix32 expands the seed so nearby seeds give unrelated streams.
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
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

  /** Uniform float in [0, 1). */
  float(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi] inclusive. */
  intBetween(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** Standard normal sample (Box–Muller, caching the second value). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher–Yates shuffle; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A new independent generator derived from this one's stream and a label. */
  fork(label: string): Rng {
    let h = 2166136261;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619) >>> 0;
    return new Rng((this.nextUint32() ^ h) >>> 0);
  }

  /** Serializable state (for checkpoints). */
  getState(): RngState {
    return { s: Array.from(this.s), spareNormal: this.spareNormal ?? null };
  }

  /** Restores a state returned by {@link getState}. */
  setState(state: RngState): void {
    this.s = Uint32Array.from(state.s);
    this.spareNormal = state.spareNormal ?? undefined;
  }
}

/** JSON-serializable {@link Rng} state. */
export interface RngState {
  /** The generator's four 32-bit state words. */
  s: number[];
  /** The second normal draw of the last Box-Muller pair, not yet returned. */
  spareNormal: number | null;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
