import { strict as assert } from 'assert';
import { DataRecord, SyntheticSource, TextRecord, solveSynthetic } from '../../../src/data';

async function collect(source: AsyncIterable<DataRecord>): Promise<DataRecord[]> {
  const out: DataRecord[] = [];
  for await (const r of source) out.push(r);
  return out;
}

describe('SyntheticSource', () => {
  it('generates correct sums in the "a+b=c" format within the digit range', async () => {
    const records = (await collect(new SyntheticSource({ task: 'addition', count: 300, seed: 1, minDigits: 2, maxDigits: 4 }))) as TextRecord[];
    assert.equal(records.length, 300);
    for (const r of records) {
      const m = /^(\d+)\+(\d+)=(\d+)$/.exec(r.text);
      assert.ok(m !== null, `bad format: ${r.text}`);
      const [a, b, c] = [m[1], m[2], m[3]];
      assert.equal(Number(a) + Number(b), Number(c), r.text);
      for (const operand of [a, b]) {
        assert.ok(operand.length >= 2 && operand.length <= 4 && !operand.startsWith('0'), r.text);
      }
    }
    const lengths = new Set(records.map((r) => /^(\d+)/.exec(r.text)![1].length));
    assert.deepEqual([...lengths].sort(), [2, 3, 4]);
  });

  it('is deterministic from the seed, across passes and instances', async () => {
    const a = new SyntheticSource({ task: 'addition', count: 50, seed: 9 });
    const first = await collect(a);
    assert.deepEqual(await collect(a), first);
    assert.deepEqual(await collect(new SyntheticSource({ task: 'addition', count: 50, seed: 9 })), first);
    assert.notDeepEqual(await collect(new SyntheticSource({ task: 'addition', count: 50, seed: 10 })), first);
  });

  it('generates reversals as "s>reversed" pairs whose completion solves the prompt', async () => {
    const records = (await collect(new SyntheticSource({ task: 'reverse', count: 100, seed: 3, output: 'pair', alphabet: 'xyz', maxLength: 5 }))) as TextRecord[];
    for (const r of records) {
      assert.ok(r.prompt !== undefined && r.completion !== undefined);
      assert.equal(r.text, r.prompt + r.completion);
      assert.match(r.prompt, /^[xyz]{1,5}>$/);
      assert.equal(r.completion, [...r.prompt.slice(0, -1)].reverse().join(''));
      assert.equal(solveSynthetic('reverse', r.prompt), r.completion);
    }
    assert.equal(solveSynthetic('addition', '12+30='), '42');
    assert.equal(solveSynthetic('addition', '12+x='), undefined);
  });

  it('produces chat records and records their origin', async () => {
    const [r] = await collect(new SyntheticSource({ task: 'addition', count: 1, seed: 0, output: 'chat' }));
    assert.equal(r.kind, 'chat');
    if (r.kind !== 'chat') return;
    assert.equal(r.messages[0].role, 'user');
    assert.equal(solveSynthetic('addition', r.messages[0].content), r.messages[1].content);
    assert.deepEqual(r.origin, { file: 'synthetic:addition', line: 1 });
  });

  it('rejects invalid options, naming them', () => {
    assert.throws(() => new SyntheticSource({ task: 'addition', count: 1, seed: 0, minDigits: 3, maxDigits: 2 }), /minDigits\/maxDigits/);
    assert.throws(() => new SyntheticSource({ task: 'multiply' as 'addition', count: 1, seed: 0 }), /supported: addition, reverse/);
  });
});
