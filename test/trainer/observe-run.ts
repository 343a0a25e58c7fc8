import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { Logger, runJob, Trainer, TrainingResult } from '../../src';

/** Weight values by name. */
export type Weights = Map<string, Float32Array>;

/** A copy of every parameter's values. */
export async function readWeights(params: Map<string, tf.Variable>): Promise<Weights> {
  const out: Weights = new Map();
  for (const [name, v] of params) out.set(name, Float32Array.from((await v.data()) as Float32Array));
  return out;
}

/** What a run looked like: weights as training began and ended, the optimizer's state keys at the end, the log lines. */
export interface Observed {
  result: TrainingResult;
  before: Weights;
  after: Weights;
  stateKeys: string[];
  lines: string[];
}

/** runJob, reading the trainer before and after `train()` (runJob frees the model afterwards); checks no tensor leaked. */
export async function observe(recipe: Record<string, unknown> | string, options: { resumeFrom?: string } = {}): Promise<Observed> {
  const lines: string[] = [];
  const seen = { before: new Map() as Weights, after: new Map() as Weights, stateKeys: [] as string[] };
  const tensors = tf.memory().numTensors;
  const result = await runJob(recipe, {
    ...options,
    logger: new Logger({ sink: (level, line) => void lines.push(`${level}: ${line}`) }),
    onTrainerReady: async (t: Trainer) => {
      seen.before = await readWeights(t.model.params);
      const train = t.train.bind(t);
      t.train = async () => {
        const r = await train();
        seen.after = await readWeights(t.model.params);
        const state = t.optimizer.getState();
        seen.stateKeys = [...state.keys()];
        tf.dispose([...state.values()]);
        return r;
      };
    },
  });
  assert.equal(tf.memory().numTensors, tensors, 'no tensor leaked');
  return { result, lines, ...seen };
}

/** Whether `a` and `b` hold the same bits (both present). */
export function sameBits(a: Float32Array | undefined, b: Float32Array | undefined): boolean {
  return a !== undefined && b !== undefined && Buffer.from(a.buffer).equals(Buffer.from(b.buffer));
}
