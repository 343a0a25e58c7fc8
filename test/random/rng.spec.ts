import { strict as assert } from 'assert';
import { Rng } from '../../src/random';

describe('Rng', () => {
  it('gives the same stream for the same seed and different streams for different seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 8 }, () => a.nextUint32());
    const sb = Array.from({ length: 8 }, () => b.nextUint32());
    const sc = Array.from({ length: 8 }, () => c.nextUint32());
    assert.deepEqual(sa, sb);
    assert.notDeepEqual(sa, sc);
  });

  it('resumes exactly from a saved state', () => {
    const a = new Rng(7);
    for (let i = 0; i < 5; i++) a.normal();
    const state = JSON.parse(JSON.stringify(a.getState()));
    const expected = [a.normal(), a.float(), a.int(100)];
    const b = new Rng(0);
    b.setState(state);
    assert.deepEqual([b.normal(), b.float(), b.int(100)], expected);
  });

  it('draws normals with mean ~0 and variance ~1', () => {
    const r = new Rng(1);
    const n = 20000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const v = r.normal();
      sum += v;
      sq += v * v;
    }
    const mean = sum / n;
    assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
    assert.ok(Math.abs(sq / n - mean * mean - 1) < 0.05, `variance ${sq / n}`);
  });

  it('shuffles into a permutation', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = new Rng(3).shuffle([...items]);
    assert.notDeepEqual(shuffled, items);
    assert.deepEqual([...shuffled].sort((x, y) => x - y), items);
  });
});
