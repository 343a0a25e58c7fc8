import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import { DataError } from '../../../src/errors';
import { JsonlWriter, StatusFileWriter, parseJsonl, readJsonl } from '../../../src/callbacks/writers';
import { makeTempDir } from '../../checkpoint/temp-dir';

describe('JsonlWriter', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir()));
  afterEach(() => cleanup());

  it('appends one JSON record per line, in call order, readable before close', async () => {
    const file = path.join(dir, 'run', 'metrics.jsonl');
    const writer = await JsonlWriter.open(file);
    for (let step = 1; step <= 5; step++) void writer.write({ step, loss: 1 / step });
    void writer.write({ step: 6, loss: NaN, gradNorm: Infinity, tokens: 10n ** 20n });
    await writer.flush();
    const text = await fs.readFile(file, 'utf8');
    assert.equal(text.split('\n')[0], '{"step":1,"loss":1}');
    assert.equal(text.split('\n')[5], '{"step":6,"loss":"NaN","gradNorm":"Infinity","tokens":"100000000000000000000"}');
    assert.ok(text.endsWith('\n'));
    const records = await readJsonl<{ step: number; loss: number }>(file);
    assert.deepEqual(records.map((r) => r.step), [1, 2, 3, 4, 5, 6]);
    assert.ok(Number.isNaN(records[5].loss));
    await writer.close();
    await assert.rejects(writer.write({ late: true }), /closed/);
  });

  it('resumes by appending, isolating a torn last line from a crash', async () => {
    const file = path.join(dir, 'metrics.jsonl');
    await fs.writeFile(file, '{"step":1}\n{"step":2,"lo');
    const writer = await JsonlWriter.open(file);
    await writer.write({ step: 3 });
    await writer.close();
    assert.equal(await fs.readFile(file, 'utf8'), '{"step":1}\n{"step":2,"lo\n{"step":3}\n');
    assert.deepEqual(await readJsonl(file, { skipInvalid: true }), [{ step: 1 }, { step: 3 }]);
    const truncating = await JsonlWriter.open(file, { truncate: true });
    await truncating.close();
    assert.equal(await fs.readFile(file, 'utf8'), '');
  });
});

describe('readJsonl', () => {
  it('reports file:line:col for a bad line and skips blank lines', () => {
    const text = '{"a":1}\n\n{"a":2}\r\n{"a": ,}\n';
    assert.throws(
      () => parseJsonl(text, 'metrics.jsonl'),
      (err: unknown) => err instanceof DataError && /^metrics\.jsonl:4(:\d+)?: invalid JSON/.test(err.message),
    );
    // Where V8 reports a position, it becomes the column.
    assert.throws(() => parseJsonl('{"a":1}\n{"a":1,}', 'm.jsonl'), /^DataError: m\.jsonl:2:8: invalid JSON/);
    assert.deepEqual(parseJsonl('{"a":1}\n\n{"a":2}\r\n', 'm'), [{ a: 1 }, { a: 2 }]);
    assert.deepEqual(parseJsonl('{"x":"NaN"}', 'm', { reviveNonFinite: false }), [{ x: 'NaN' }]);
  });
});

describe('StatusFileWriter', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir()));
  afterEach(() => cleanup());

  it('rewrites status.json atomically with the given fields, last write winning', async () => {
    const file = path.join(dir, 'status.json');
    const status = new StatusFileWriter(file);
    await status.write({ state: 'running', step: 0 });
    const writes = [];
    for (let step = 1; step <= 20; step++) writes.push(status.update({ step, loss: step === 20 ? NaN : 1 / step }));
    await Promise.all(writes);
    assert.deepEqual(JSON.parse(await fs.readFile(file, 'utf8')), { state: 'running', step: 20, loss: 'NaN' });
    await status.write({ state: 'done' });
    assert.deepEqual(JSON.parse(await fs.readFile(file, 'utf8')), { state: 'done' });
    assert.deepEqual(await fs.readdir(dir), ['status.json']);
  });

  it('never exposes a partial document to a concurrent reader', async () => {
    const file = path.join(dir, 'status.json');
    const status = new StatusFileWriter(file);
    await status.write({ step: 0, blob: 'x'.repeat(200_000) });
    let done = false;
    const writer = (async () => {
      for (let step = 1; step <= 30; step++) await status.write({ step, blob: 'y'.repeat(200_000 + step) });
      done = true;
    })();
    let reads = 0;
    while (!done) {
      JSON.parse(await fs.readFile(file, 'utf8')); // throws on a torn file
      reads++;
    }
    await writer;
    assert.ok(reads > 0);
  });
});
