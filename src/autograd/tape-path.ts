import type * as tf from '@tensorflow/tfjs';
import type { TapeNode } from './engine-internals';

/**
 * The tape's nodes on a path from one of `xs` to `y`, in tape order, each with its inputs cut
 * down to those that depend on some x (no gradient is computed for the others).
 */
export function nodesFromXsToY(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): TapeNode[] {
  // Forward: which tensors (and nodes) depend on an x.
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodeFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((input) => fromX.has(input.id))) {
      nodeFromX.add(node.id);
      for (const output of node.outputs) fromX.add(output.id);
    }
  }
  // Backward: which tensors (and nodes) y depends on.
  const toY = new Set<number>([y.id]);
  const nodeToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((output) => toY.has(output.id))) {
      nodeToY.add(node.id);
      for (const input of Object.values(node.inputs)) toY.add(input.id);
    }
  }
  const path: TapeNode[] = [];
  for (const node of tape) {
    if (!nodeFromX.has(node.id) || !nodeToY.has(node.id)) continue;
    const inputs: tf.NamedTensorMap = {};
    for (const [name, input] of Object.entries(node.inputs)) if (fromX.has(input.id)) inputs[name] = input;
    path.push({ ...node, inputs });
  }
  return path;
}
