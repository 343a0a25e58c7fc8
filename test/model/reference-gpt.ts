import { ResolvedGptOptions } from '../../src/model';

/** A weight as plain numbers: flat row-major values and shape. */
export interface RefWeight {
  data: Float32Array;
  shape: number[];
}

/**
 * Plain-JS (float64) GPT forward for one sequence, written from the textbook formulas and
 * independent of the tfjs code: returns logits [T][V]. Causal attention only; grouped-query
 * attention (kvHeads < heads) reads each key/value head from every query head of its group.
 */
export function referenceForward(
  o: ResolvedGptOptions,
  w: Map<string, RefWeight>,
  ids: number[],
  positions: number[] = ids.map((_, i) => i),
): number[][] {
  const d = o.dim;
  const hd = d / o.heads;
  const get = (name: string): RefWeight => {
    const x = w.get(name);
    if (x === undefined) throw new Error(`missing ${name}`);
    return x;
  };
  // y = x @ W + b with W stored [in, out].
  const dense = (x: number[], prefix: string): number[] => {
    const W = get(`${prefix}.weight`);
    const [nIn, nOut] = W.shape;
    const out = new Array<number>(nOut).fill(0);
    for (let j = 0; j < nOut; j++) {
      for (let i = 0; i < nIn; i++) out[j] += x[i] * W.data[i * nOut + j];
      // bias 'qkv' (Qwen2): only the attention's q/k/v projection has one.
      if (o.bias === true || (o.bias === 'qkv' && prefix.endsWith('.attn.qkv'))) out[j] += get(`${prefix}.bias`).data[j];
    }
    return out;
  };
  const norm = (x: number[], prefix: string): number[] => {
    const g = get(`${prefix}.weight`).data;
    if (o.norm === 'rmsnorm') {
      const ms = x.reduce((a, v) => a + v * v, 0) / x.length;
      return x.map((v, i) => (v / Math.sqrt(ms + o.normEps)) * g[i]);
    }
    const b = get(`${prefix}.bias`).data;
    const mean = x.reduce((a, v) => a + v, 0) / x.length;
    const variance = x.reduce((a, v) => a + (v - mean) * (v - mean), 0) / x.length;
    return x.map((v, i) => ((v - mean) / Math.sqrt(variance + o.normEps)) * g[i] + b[i]);
  };
  const rope = (vec: number[], pos: number): number[] => {
    const half = hd / 2;
    const out = vec.slice();
    for (let i = 0; i < half; i++) {
      const angle = pos * Math.pow(o.ropeTheta, (-2 * i) / hd);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      out[i] = vec[i] * c - vec[i + half] * s;
      out[i + half] = vec[i + half] * c + vec[i] * s;
    }
    return out;
  };
  const gelu = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
  const silu = (x: number): number => x / (1 + Math.exp(-x));

  const tok = get('embed.tokens.weight').data;
  let xs = ids.map((id, t) => {
    const row = Array.from({ length: d }, (_, j) => tok[id * d + j]);
    if (o.position === 'learned') {
      const pe = get('embed.positions.weight').data;
      for (let j = 0; j < d; j++) row[j] += pe[positions[t] * d + j];
    }
    return row;
  });
  for (let l = 0; l < o.layers; l++) {
    const p = `blocks.${l}`;
    const qkv = xs.map((x) => dense(norm(x, `${p}.norm1`), `${p}.attn.qkv`));
    const attnOut = xs.map((_, t) => {
      const ctx = new Array<number>(d).fill(0);
      for (let h = 0; h < o.heads; h++) {
        // Columns [q (heads) | k (kvHeads) | v (kvHeads)]; query head h reads key/value head ⌊h / group⌋.
        const kv = Math.floor(h / (o.heads / o.kvHeads));
        const start = [h * hd, d + kv * hd, d + o.kvHeads * hd + kv * hd];
        const head = (t2: number, part: number): number[] => qkv[t2].slice(start[part], start[part] + hd);
        const posed = (t2: number, part: number): number[] => (o.position === 'rope' ? rope(head(t2, part), positions[t2]) : head(t2, part));
        const q = posed(t, 0);
        const scores: number[] = [];
        for (let s = 0; s <= t; s++) {
          const k = posed(s, 1);
          scores.push(q.reduce((a, v, i) => a + v * k[i], 0) / Math.sqrt(hd));
        }
        const m = Math.max(...scores);
        const e = scores.map((v) => Math.exp(v - m));
        const z = e.reduce((a, v) => a + v, 0);
        for (let s = 0; s <= t; s++) {
          const v = head(s, 2);
          for (let i = 0; i < hd; i++) ctx[h * hd + i] += (e[s] / z) * v[i];
        }
      }
      return dense(ctx, `${p}.attn.out`);
    });
    xs = xs.map((x, t) => x.map((v, j) => v + attnOut[t][j]));
    xs = xs.map((x) => {
      const h = norm(x, `${p}.norm2`);
      const up = dense(h, `${p}.mlp.up`);
      const hidden = o.activation === 'swiglu' ? dense(h, `${p}.mlp.gate`).map((g, i) => silu(g) * up[i]) : up.map(gelu);
      const down = dense(hidden, `${p}.mlp.down`);
      return x.map((v, j) => v + down[j]);
    });
  }
  return xs.map((x) => {
    const h = norm(x, 'norm');
    if (!o.tieEmbeddings) return dense(h, 'lm_head');
    return Array.from({ length: o.vocabSize }, (_, v) => h.reduce((a, hv, j) => a + hv * tok[v * d + j], 0));
  });
}
