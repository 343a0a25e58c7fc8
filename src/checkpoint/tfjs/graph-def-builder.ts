import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../../errors';

/**
 * An attribute value of a TensorFlow `NodeDef`, in the JSON form tfjs graph models use.
 * @internal
 */
export type GraphAttr =
  | { type: string }
  | { b: boolean }
  | { i: string }
  | { f: number }
  | { shape: { dim: { size: string }[] } }
  | { tensor: { dtype: string; tensorShape: { dim: { size: string }[] } } };

/**
 * One node of a TensorFlow `GraphDef` (JSON form).
 * @internal
 */
export interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, GraphAttr>;
}

/**
 * A constant's values, stored in the weight shards under the node's name.
 * @internal
 */
export interface GraphConstant {
  name: string;
  dtype: 'float32' | 'int32';
  shape: number[];
  values: Float32Array | Int32Array;
}

const TF_DTYPE = { float32: 'DT_FLOAT', int32: 'DT_INT32', bool: 'DT_BOOL' } as const;

/**
 * A tfjs `DataType` as a TensorFlow dtype attribute.
 * @internal
 */
export function dtypeAttr(dtype: keyof typeof TF_DTYPE): GraphAttr {
  return { type: TF_DTYPE[dtype] };
}

/**
 * A shape attribute; -1 marks an unknown dimension.
 * @internal
 */
export function shapeAttr(shape: number[]): { dim: { size: string }[] } {
  return { dim: shape.map((d) => ({ size: String(d) })) };
}

/**
 * Builds a TensorFlow `GraphDef` in the JSON form `tf.loadGraphModel` reads (the layout the tfjs
 * converter writes): placeholders, `Const` nodes whose values live in the weight shards under the
 * node's name, and op nodes referring to inputs as `node` or `node:k`.
  * @internal
 */
export class GraphDefBuilder {
  readonly nodes: GraphNode[] = [];
  readonly constants: GraphConstant[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  /** A graph input. */
  placeholder(name: string, dtype: 'float32' | 'int32', shape: number[]): string {
    return this.add({ name, op: 'Placeholder', attr: { dtype: dtypeAttr(dtype), shape: { shape: shapeAttr(shape) } } });
  }

  /** A constant (a weight, or a small shape/axis/scalar constant). */
  constant(name: string, values: Float32Array | Int32Array, shape: number[]): string {
    const dtype = values instanceof Int32Array ? 'int32' : 'float32';
    this.constants.push({ name, dtype, shape, values });
    return this.add({
      name,
      op: 'Const',
      attr: { dtype: dtypeAttr(dtype), value: { tensor: { dtype: TF_DTYPE[dtype], tensorShape: shapeAttr(shape) } } },
    });
  }

  /** An int32 constant with an automatic name. */
  ints(values: number[], shape: number[] = [values.length]): string {
    return this.constant(this.fresh('const/i32'), Int32Array.from(values), shape);
  }

  /** A float32 scalar constant with an automatic name. */
  scalar(value: number): string {
    return this.constant(this.fresh('const/f32'), Float32Array.of(value), []);
  }

  /** An op node; returns its name (use `name:k` for output k > 0). */
  op(op: string, input: string[], attr: Record<string, GraphAttr> = {}, name?: string): string {
    return this.add({ name: name ?? this.fresh(op), op, input, attr });
  }

  /** The `GraphDef` (JSON) for `modelTopology`. */
  graphDef(): { node: GraphNode[]; library: Record<string, never>; versions: { producer: number; minConsumer: number } } {
    return { node: this.nodes, library: {}, versions: { producer: 1395, minConsumer: 12 } };
  }

  /** Weight specs and the concatenated little-endian data of every constant, in node order. */
  async encodeConstants(): Promise<{ specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer }> {
    const named = this.constants.map((c) => ({ name: c.name, tensor: tf.tensor(c.values, c.shape, c.dtype) }));
    try {
      const { data, specs } = await tf.io.encodeWeights(named);
      return { specs, data: data as ArrayBuffer };
    } finally {
      tf.dispose(named.map((n) => n.tensor));
    }
  }

  private fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.names.has(name));
    return name;
  }

  private add(node: GraphNode): string {
    if (this.names.has(node.name)) throw new CheckpointError(`GraphDefBuilder: duplicate node name '${node.name}'`);
    this.names.add(node.name);
    this.nodes.push(node);
    return node.name;
  }
}
