import { strict as assert } from 'assert';
import { epochOrder, trainEvalSplit } from '../../src/data';
import { leftOutNote } from '../../src/data/split-note';

describe('trainEvalSplit', () => {
  const items = Array.from({ length: 200 }, (_, i) => i);

  it('splits 95/5 by default, seeded, disjoint and complete', () => {
    const a = trainEvalSplit(items, { seed: 1 });
    assert.equal(a.eval.length, 10);
    assert.equal(a.train.length, 190);
    assert.deepEqual([...a.train, ...a.eval].sort((x, y) => x - y), items);
    assert.deepEqual(trainEvalSplit(items, { seed: 1 }), a);
    assert.notDeepEqual(trainEvalSplit(items, { seed: 2 }).eval, a.eval);
    assert.notDeepEqual(a.eval, items.slice(190));
  });

  it('caps eval at evalMaxSamples without changing the training set', () => {
    const full = trainEvalSplit(items, { seed: 3, ratios: [0.8, 0.2] });
    const capped = trainEvalSplit(items, { seed: 3, ratios: [0.8, 0.2], evalMaxSamples: 5 });
    assert.equal(capped.eval.length, 5);
    assert.deepEqual(capped.train, full.train);
    assert.ok(capped.eval.every((x) => full.eval.includes(x)));
    // The rest of the held-out items are counted, for the run log.
    assert.deepEqual([full.leftOut, capped.leftOut, capped.repeats], [0, 35, 0]);
    assert.equal(leftOutNote({ leftOut: 35, repeats: 0, noun: 'rows', evalMaxSamples: 5 }), 'left out of both splits: 35 rows held out beyond evalMaxSamples 5 (kept out of training too, so the train split does not depend on the eval budget)');
    assert.equal(leftOutNote({ leftOut: 0, repeats: 0, noun: 'rows' }), undefined);
  });

  it('keeps at least one eval item for tiny sets', () => {
    assert.equal(trainEvalSplit([1, 2, 3], { seed: 0 }).eval.length, 1);
    assert.deepEqual(trainEvalSplit([1, 2, 3], { seed: 0, ratios: [1, 0] }).eval, []);
  });
});

describe('epochOrder', () => {
  it('is a permutation reproducible from seed and epoch, different across epochs', () => {
    const e0 = epochOrder(7, 0, 50);
    assert.deepEqual([...e0].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(epochOrder(7, 0, 50), e0);
    assert.notDeepEqual(epochOrder(7, 1, 50), e0);
    assert.notDeepEqual(epochOrder(8, 0, 50), e0);
  });

  it('with keyOf, keeps every copy of a record in one split and one copy of each eval record', () => {
    // 40 distinct problems, each repeated 5 times: copies must never straddle the split.
    const repeated = Array.from({ length: 200 }, (_, i) => `p${i % 40}`);
    const { train, eval: held } = trainEvalSplit(repeated, { seed: 4, ratios: [0.8, 0.2], keyOf: (x) => x });
    const trainSet = new Set(train);
    assert.equal(held.length, 8, '20% of 40 distinct problems');
    assert.equal(new Set(held).size, held.length, 'one copy of each eval problem');
    for (const p of held) assert.ok(!trainSet.has(p), `${p} is held out, so never trained on`);
    assert.equal(train.length, 200 - 8 * 5);
    const split = trainEvalSplit(repeated, { seed: 4, ratios: [0.8, 0.2], keyOf: (x) => x, evalMaxSamples: 6 });
    assert.deepEqual([split.eval.length, split.leftOut, split.repeats], [6, 40 - 6, 6 * 4]);
    assert.equal(
      leftOutNote({ leftOut: split.leftOut, repeats: split.repeats, noun: 'records', evalMaxSamples: 6 }),
      'left out of both splits: 10 records held out beyond evalMaxSamples 6 (kept out of training too, so the train split does not depend on the eval budget); 24 repeats of eval records (an eval record is evaluated once and never trained on)',
    );
  });
});
