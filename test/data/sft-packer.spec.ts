import { strict as assert } from 'assert';
import { LmExample, TokenizedDocument, buildSftExamples, tokenizeRecord } from '../../src/data';
import { ByteTokenizer, ChatMessage } from '../../src/tokenizer';

const tok = new ByteTokenizer();
const origin = { file: 'test', line: 1 };
const chat = (q: string, a: string): TokenizedDocument =>
  tokenizeRecord({ kind: 'chat', messages: [{ role: 'user', content: q }, { role: 'assistant', content: a }] as ChatMessage[], origin }, tok);

/** Labels whose loss is on, decoded per row. */
const trainedText = (e: LmExample): string => tok.decode(Array.from(e.labels.filter((_, t) => e.lossMask[t] === 1)));

describe('SftPacker', () => {
  it('puts loss only on assistant tokens and the end-of-turn after them', () => {
    const doc = tokenizeRecord(
      {
        kind: 'chat',
        messages: [
          { role: 'system', content: 'sys' },
          { role: 'user', content: 'What is 2+2?' },
          { role: 'assistant', content: 'Four.' },
          { role: 'user', content: 'And 3+3?' },
          { role: 'assistant', content: 'Six.' },
        ],
        origin,
      },
      tok,
    );
    const { examples } = buildSftExamples([doc], { maxLength: 256, padId: tok.padId });
    assert.equal(examples.length, 1);
    const [e] = examples;
    const trainedLabels = Array.from(e.labels.filter((_, t) => e.lossMask[t] === 1));
    assert.deepEqual(trainedLabels, [...tok.encode('Four.'), tok.eosId, ...tok.encode('Six.'), tok.eosId]);
    // Labels are the inputs shifted by one.
    assert.deepEqual(e.inputIds.slice(1), e.labels.slice(0, -1));
    assert.equal(e.positions, undefined);
  });

  it('trains only the completion of prompt/completion text records', () => {
    const doc = tokenizeRecord({ kind: 'text', text: '12+3=15', prompt: '12+3=', completion: '15', origin }, tok);
    const { examples } = buildSftExamples([doc], { maxLength: 64, padId: tok.padId });
    assert.deepEqual(Array.from(examples[0].labels.filter((_, t) => examples[0].lossMask[t] === 1)), [...tok.encode('15'), tok.eosId]);
  });

  it('packs conversations into rows with per-document segment ids and restarting positions', () => {
    const docs = [chat('a', 'b'), chat('cc', 'dd'), chat('e', 'f')];
    const lengths = docs.map((d) => d.ids.length - 1);
    const maxLength = lengths[0] + lengths[1] + 1;
    const { examples } = buildSftExamples(docs, { maxLength, padId: tok.padId, packing: true });
    assert.equal(examples.length, 2);
    const [row, last] = examples;
    assert.deepEqual(Array.from(row.segmentIds!), [...Array(lengths[0]).fill(1), ...Array(lengths[1]).fill(2)]);
    assert.deepEqual(Array.from(row.positions!), [...Array.from({ length: lengths[0] }, (_, i) => i), ...Array.from({ length: lengths[1] }, (_, i) => i)]);
    assert.equal(trainedText(row), 'bdd');
    // The last label of document 1 is its own end-of-turn, not document 2's first token.
    assert.equal(row.labels[lengths[0] - 1], tok.eosId);
    assert.equal(row.inputIds[lengths[0]], tok.bosId);
    assert.deepEqual(Array.from(last.segmentIds!), Array(lengths[2]).fill(1));
    assert.equal(trainedText(last), 'f');
  });

  it('pads rows to a multiple with pad ids, zero loss and segment 0', () => {
    const { examples } = buildSftExamples([chat('a', 'b'), chat('c', 'd')], { maxLength: 64, padId: tok.padId, packing: true, padToMultipleOf: 16 });
    const [row] = examples;
    const real = 2 * (chat('a', 'b').ids.length - 1);
    assert.equal(real, 54);
    assert.equal(row.inputIds.length, 64);
    assert.equal(row.numTokens, real);
    assert.ok(row.inputIds.slice(real).every((id) => id === tok.padId));
    assert.ok(row.lossMask.slice(real).every((m) => m === 0));
    assert.ok(row.segmentIds!.slice(real).every((s) => s === 0));
    const unpacked = buildSftExamples([chat('a', 'b')], { maxLength: 64, padId: tok.padId, padToMultipleOf: 8 }).examples[0];
    assert.equal(unpacked.inputIds.length % 8, 0);
  });

  it('truncates long conversations and drops those left with nothing to train', () => {
    const long = chat('q', 'x'.repeat(100));
    const onlyPrompt = chat('q'.repeat(100), 'answer');
    const { examples, stats } = buildSftExamples([long, onlyPrompt], { maxLength: 32, padId: tok.padId });
    assert.equal(examples.length, 1);
    assert.equal(examples[0].inputIds.length, 32);
    assert.deepEqual(stats, { truncated: 2, dropped: 1 });
  });
});
