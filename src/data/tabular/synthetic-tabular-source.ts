import { FloeError } from '../../errors';
import { Rng } from '../../random';
import { TabularRecord, TabularSource, TargetKind } from './tabular-record';

/** Built-in generators. */
export const TABULAR_GENERATORS = ['spirals', 'sine'] as const;

/**
 * `spirals`: points on `classes` interleaved spiral arms, features `x`, `y`, label `class`
 * (classification). `sine`: `y = sin(x) + noise` for x uniform in [−2π, 2π] (regression).
 */
export type TabularGenerator = (typeof TABULAR_GENERATORS)[number];

/** Options of {@link SyntheticTabularSource}. */
export interface SyntheticTabularSourceOptions {
  /** Which data to generate. */
  generator: TabularGenerator;
  /** Rows one pass yields. */
  count: number;
  /** Seed; the same seed yields the same rows. */
  seed: number;
  /** Standard deviation of the Gaussian noise (spirals: on both coordinates; sine: on y). */
  noise: number;
  /** spirals: number of arms, one class each. */
  classes: number;
  /** spirals: turns each arm makes around the centre. */
  turns: number;
}

/** Spiral radii start here, so the arms do not all meet in the centre. */
const SPIRAL_INNER_RADIUS = 0.2;

/** Seeded generated tables, no download needed; rows are identical on every pass. */
export class SyntheticTabularSource implements TabularSource {
  readonly featureNames: string[];
  readonly targetNames: string[];
  readonly targetKind: TargetKind;
  readonly classNames?: string[];

  constructor(private readonly options: SyntheticTabularSourceOptions) {
    validate(options);
    const spirals = options.generator === 'spirals';
    this.featureNames = spirals ? ['x', 'y'] : ['x'];
    this.targetNames = spirals ? ['class'] : ['y'];
    this.targetKind = spirals ? 'class-id' : 'values';
  }

  async *records(): AsyncIterable<TabularRecord> {
    const o = this.options;
    const rng = new Rng(o.seed).fork(`synthetic-tabular:${o.generator}`);
    const file = `synthetic:${o.generator}`;
    for (let i = 0; i < o.count; i++) {
      const origin = { file, line: i + 1 };
      if (o.generator === 'spirals') {
        const k = i % o.classes;
        const t = rng.float();
        const r = SPIRAL_INNER_RADIUS + (1 - SPIRAL_INNER_RADIUS) * t;
        const angle = (2 * Math.PI * k) / o.classes + 2 * Math.PI * o.turns * t;
        yield { features: [r * Math.cos(angle) + o.noise * rng.normal(), r * Math.sin(angle) + o.noise * rng.normal()], targets: [k], origin };
      } else {
        const x = (rng.float() * 2 - 1) * 2 * Math.PI;
        yield { features: [x], targets: [Math.sin(x) + o.noise * rng.normal()], origin };
      }
    }
  }
}

function validate(o: SyntheticTabularSourceOptions): void {
  const problems: string[] = [];
  if (!(TABULAR_GENERATORS as readonly string[]).includes(o.generator)) problems.push(`generator '${o.generator}' is unknown (supported: ${TABULAR_GENERATORS.join(', ')})`);
  if (!Number.isInteger(o.count) || o.count < 1) problems.push(`count must be a whole number >= 1, got ${o.count}`);
  if (!(o.noise >= 0)) problems.push(`noise must be >= 0, got ${o.noise}`);
  if (!Number.isInteger(o.classes) || o.classes < 2) problems.push(`classes must be a whole number >= 2, got ${o.classes}`);
  if (!(o.turns > 0)) problems.push(`turns must be positive, got ${o.turns}`);
  if (problems.length > 0) throw new FloeError(`Invalid synthetic tabular source options: ${problems.join('; ')}.`);
}
