import * as tf from '@tensorflow/tfjs';

/**
 * The dropout masks of one forward call: site n (the n-th dropout applied) draws its mask from
 * seed `${prefix}:${n}`, so masks are independent but reproducible. A checkpointed block notes
 * the site it starts at and replays from there ({@link at}), drawing the same masks again.
 */
export class DropoutSites {
  /**
   * @param rate Fraction of values dropped; 0 drops nothing (and draws nothing).
   * @param prefix Seed prefix of this call's masks (`1234`, `1234:lora`).
   * @param site The next site's number.
   */
  constructor(
    /** Fraction of values dropped. */
    readonly rate: number,
    /** Seed prefix of this call's masks. */
    readonly prefix: string,
    /** The next site's number. */
    public site = 0,
  ) {}

  /** Applies the next site's dropout to `x` (`x` itself when the rate is 0). */
  readonly drop = <T extends tf.Tensor>(x: T): T => {
    if (this.rate === 0) return x;
    return tf.dropout(x, this.rate, undefined, `${this.prefix}:${this.site++}`) as T;
  };

  /** The same masks from site `site` on, in a separate counter (this one does not move). */
  at(site: number): DropoutSites {
    return new DropoutSites(this.rate, this.prefix, site);
  }
}

/** Dropout that drops nothing: an inference forward, or a rate of 0. */
export const NO_DROPOUT = new DropoutSites(0, '');
