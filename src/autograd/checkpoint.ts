import * as tf from '@tensorflow/tfjs';
import { engineInternals, type TapeNode } from './engine-internals';
import { frugalGrads } from './frugal-grads';

/** What {@link checkpointed} runs as one unit. */
export interface CheckpointedRun<T extends tf.Tensor> {
  /** The unit's name, shown in gradient errors (`blocks.3`). */
  name: string;
  /** The differentiated input (a transformer block's input activation): the one activation kept. */
  input: tf.Tensor;
  /** Tensors `run` reads without differentiating them (masks, RoPE tables), kept for the recompute. */
  constants: readonly tf.Tensor[];
  /**
   * Every variable `run` reads, by name. The trainable ones become the unit's inputs on the tape,
   * so the gradient pass reaches them as usual and decides which get gradients (frozen ones do not).
   */
  weights: ReadonlyMap<string, tf.Variable>;
  /**
   * The computation: called once now and once more during the backward pass with copies of
   * `input` and `constants`. Both calls must compute the same values (the same dropout masks).
   */
  run: (input: tf.Tensor, constants: readonly tf.Tensor[]) => T;
}

/** Tape input name of {@link CheckpointedRun.input} (weights use their own names). */
const INPUT = '(input)';

/**
 * Activation checkpointing: runs `c.run` without keeping its intermediate activations for the
 * backward pass, and recomputes them there (about one more forward of the unit).
 *
 * Under a recording tape, the unit runs as one tape node, like a kernel (nothing inside is
 * recorded), that keeps only copies of its input and constants. Its gradient replays `run` on a
 * tape of its own and backpropagates the output's gradient through it ({@link frugalGrads}),
 * for the inputs the outer pass asks for only: with LoRA, the frozen base weights' gradients are
 * never computed. Why not `tf.customGrad`: its gradient function must return every input's
 * gradient at once and is not told which the pass wants. Without a recording tape (inference) it
 * is `c.run` itself.
 */
export function checkpointed<T extends tf.Tensor>(c: CheckpointedRun<T>): T {
  const engine = engineInternals();
  const state = engine.state;
  if (state.gradientDepth === 0 || state.kernelDepth > 0 || state.activeTape === null) return c.run(c.input, c.constants);
  let saved: tf.Tensor[] = [];
  const output = engine.scopedRun(
    () => state.kernelDepth++,
    () => state.kernelDepth--,
    () => {
      const y = engine.tidy(() => c.run(c.input, c.constants));
      // Clones share the data (no copy); the gradient pass frees them once the unit's gradient is done.
      saved = [c.input, ...c.constants].map((t) => tf.keep(tf.clone(t)));
      return y;
    },
  );
  const inputs: tf.NamedTensorMap = { [INPUT]: c.input };
  for (const [name, v] of c.weights) if (v.trainable) inputs[name] = v;
  const node: TapeNode = {
    id: state.nextTapeNodeId++,
    kernelName: `checkpointed ${c.name}`,
    inputs,
    outputs: [output],
    saved,
    gradient: (dys, wanted) => {
      // tfjs's own pass (tf.variableGrads) does not say which inputs it reads: then all of them.
      const names = wanted ?? Object.keys(inputs);
      const [input, ...constants] = saved;
      const xs = names.map((name) => (name === INPUT ? input : inputs[name]));
      const dy = dys[0] ?? tf.zerosLike(output);
      const grads = frugalGrads(() => c.run(input, constants), xs, dy);
      const thunks: Record<string, () => tf.Tensor> = {};
      names.forEach((name, i) => (thunks[name] = () => grads[i] ?? tf.zerosLike(xs[i])));
      return thunks;
    },
  };
  state.activeTape.push(node);
  return output;
}
