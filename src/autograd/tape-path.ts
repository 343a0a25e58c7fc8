import type * as tf from '@tensorflow/tfjs';
import type { TapeNode } from './engine-internals';

/**
 * The tape's nodes on a path from one of `xs` to `y`, in tape order, each with its inputs cut
 * down to those that depend on some x (no gradient is computed for the others). A node whose
 * inputs all depend on an x is returned as it is; the others are copies with fewer inputs.
 */
export function nodesFromXsToY(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): TapeNode[] {
  // Runs once per training step over a few hundred nodes: plain loops, no per-node arrays.
  // Forward: which tensors (and nodes) depend on an x.
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodeFromX = new Set<number>();
  for (const node of tape) {
    if (anyInput(node.inputs, fromX)) {
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
      for (const name in node.inputs) toY.add(node.inputs[name].id);
    }
  }
  const path: TapeNode[] = [];
  for (const node of tape) {
    if (!nodeFromX.has(node.id) || !nodeToY.has(node.id)) continue;
    if (allInputs(node.inputs, fromX)) {
      path.push(node);
      continue;
    }
    const inputs: tf.NamedTensorMap = {};
    for (const name in node.inputs) if (fromX.has(node.inputs[name].id)) inputs[name] = node.inputs[name];
    path.push({ ...node, inputs });
  }
  return path;
}

function anyInput(inputs: tf.NamedTensorMap, ids: ReadonlySet<number>): boolean {
  for (const name in inputs) if (ids.has(inputs[name].id)) return true;
  return false;
}

function allInputs(inputs: tf.NamedTensorMap, ids: ReadonlySet<number>): boolean {
  for (const name in inputs) if (!ids.has(inputs[name].id)) return false;
  return true;
}
