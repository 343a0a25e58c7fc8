/**
 * Plain-JS (float64) reference implementations of the PyTorch update rules, written
 * independently of src/ from the torch.optim documentation's pseudo-code.
 */

/** Per-variable reference state. */
export interface RefSlot {
  p: number[];
  m?: number[];
  v?: number[];
  buf?: number[];
  t: number;
}

/** Hyper-parameters of the Adam family reference. */
export interface RefAdamHp {
  beta1: number;
  beta2: number;
  eps: number;
  wd: number;
  decoupled: boolean;
}

/** One Adam/AdamW step on `s` in place (torch.optim.Adam / AdamW, amsgrad off). */
export function refAdamStep(s: RefSlot, g0: number[], lr: number, hp: RefAdamHp, decay: boolean): void {
  s.t += 1;
  const m = s.m ?? g0.map(() => 0);
  const v = s.v ?? g0.map(() => 0);
  for (let i = 0; i < g0.length; i++) {
    let g = g0[i];
    if (decay && hp.decoupled) s.p[i] *= 1 - lr * hp.wd;
    if (decay && !hp.decoupled) g += hp.wd * s.p[i];
    m[i] = hp.beta1 * m[i] + (1 - hp.beta1) * g;
    v[i] = hp.beta2 * v[i] + (1 - hp.beta2) * g * g;
    const mHat = m[i] / (1 - hp.beta1 ** s.t);
    const vHat = v[i] / (1 - hp.beta2 ** s.t);
    s.p[i] -= (lr * mHat) / (Math.sqrt(vHat) + hp.eps);
  }
  s.m = m;
  s.v = v;
}

/** Hyper-parameters of the SGD reference. */
export interface RefSgdHp {
  momentum: number;
  dampening: number;
  nesterov: boolean;
  wd: number;
}

/** One SGD step on `s` in place (torch.optim.SGD). */
export function refSgdStep(s: RefSlot, g0: number[], lr: number, hp: RefSgdHp, decay: boolean): void {
  s.t += 1;
  const g = g0.map((x, i) => (decay ? x + hp.wd * s.p[i] : x));
  let d = g;
  if (hp.momentum !== 0) {
    s.buf = s.buf === undefined ? [...g] : s.buf.map((b, i) => hp.momentum * b + (1 - hp.dampening) * g[i]);
    const buf = s.buf;
    d = hp.nesterov ? g.map((x, i) => x + hp.momentum * buf[i]) : buf;
  }
  for (let i = 0; i < s.p.length; i++) s.p[i] -= lr * d[i];
}

/** Deterministic gradients for the fixed problem: step `k` (0-based), variable `which`, `n` values. */
export function fixedGrad(k: number, which: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(1.3 * i + 0.7 * k + 2.1 * which) * (0.5 + 0.25 * which) + 0.05 * (k - 2));
}
