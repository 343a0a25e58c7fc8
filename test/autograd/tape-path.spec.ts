import * as tf from '@tensorflow/tfjs';
import { strict as assert } from 'assert';
import type { TapeNode } from '../../src/autograd/engine-internals';
import { nodesFromXsToY } from '../../src/autograd/tape-path';

/** A tape node over plain ids (nodesFromXsToY reads only ids, inputs and outputs). */
function node(id: number, inputs: Record<string, number>, outputs: number[]): TapeNode {
  const t = (tid: number): tf.Tensor => ({ id: tid }) as unknown as tf.Tensor;
  return { id, kernelName: `op${id}`, inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, t(v)])), outputs: outputs.map(t) };
}

describe('nodesFromXsToY', () => {
  // x=1 (variable), c=2 (constant): n1 = f(x, c) -> 3; n2 = g(3) -> 4; n3 = h(c) -> 5 (no x); n4 = k(4, 5) -> 6 = y; n5 = m(3) -> 7 (not to y).
  const tape = [node(1, { a: 1, b: 2 }, [3]), node(2, { x: 3 }, [4]), node(3, { x: 2 }, [5]), node(4, { a: 4, b: 5 }, [6]), node(5, { x: 3 }, [7])];
  const xs = [{ id: 1 } as unknown as tf.Tensor];
  const y = { id: 6 } as unknown as tf.Tensor;

  it('keeps the nodes from an x to y in tape order, with only the inputs that depend on an x', () => {
    const path = nodesFromXsToY(tape, xs, y);
    assert.deepEqual(path.map((n) => n.id), [1, 2, 4]);
    assert.deepEqual(Object.keys(path[0].inputs), ['a']);
    assert.deepEqual(Object.keys(path[2].inputs), ['a']);
    assert.deepEqual(Object.keys(tape[0].inputs), ['a', 'b'], 'the tape itself is left as it was');
  });

  it('hands back a node whose every input depends on an x as it is, copying only the ones it cuts', () => {
    const path = nodesFromXsToY(tape, xs, y);
    assert.equal(path[1], tape[1]);
    assert.notEqual(path[0], tape[0]);
    assert.equal(path[0].kernelName, 'op1');
  });
});
