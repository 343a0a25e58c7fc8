import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CsvTabularSource, DataError, JsonlTabularSource, TabularRecord, TabularSource } from '../../../src';
import { useTempDir, writeFile } from '../../fixtures/supervised';

async function readAll(source: TabularSource): Promise<TabularRecord[]> {
  const out: TabularRecord[] = [];
  for await (const r of source.records()) out.push(r);
  return out;
}

/** Asserts `promise` rejects with a DataError whose message contains every part. */
async function rejectsWith(promise: Promise<unknown>, ...parts: string[]): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof DataError, `expected a DataError, got ${String(e)}`);
    for (const part of parts) assert.ok((e as Error).message.includes(part), `message ${JSON.stringify((e as Error).message)} lacks ${JSON.stringify(part)}`);
    return true;
  });
}

describe('CsvTabularSource', () => {
  const tmp = useTempDir();

  it('reads the named columns by header, in the configured order, skipping blank lines', async () => {
    const file = writeFile(tmp(), 'd.csv', 'id,b,a,y\n1,2.5,-1,10\n\n2,"3",1e-1,20\n');
    const rows = await readAll(new CsvTabularSource({ paths: [file], features: ['a', 'b'], targets: ['y'] }));
    assert.deepEqual(rows.map((r) => [r.features, r.targets, r.origin.line]), [
      [[-1, 2.5], [10], 2],
      [[0.1, 3], [20], 4],
    ]);
  });

  it('reads class labels as ids, or as names listed under classes', async () => {
    const file = writeFile(tmp(), 'd.csv', 'x,kind\n0.5,cat\n1.5,dog\n2.5,1\n');
    const source = new CsvTabularSource({ paths: [file], features: ['x'], label: 'kind', classes: ['cat', 'dog'] });
    assert.equal(source.targetKind, 'class-id');
    assert.deepEqual((await readAll(source)).map((r) => r.targets[0]), [0, 1, 1]);
  });

  it('a column missing from the header names file:line, the column, its config path, the columns there and a close match', async () => {
    const file = writeFile(tmp(), 'd.csv', 'x1,x2,y\n1,2,3\n');
    const source = new CsvTabularSource({ paths: [file], features: ['x1', 'x3'], targets: ['y'], configPath: 'data.sources[0]' });
    await rejectsWith(readAll(source), `${file}:1: feature column 'x3' (data.sources[0].features[1]) is not in the header`, 'Columns: x1, x2, y', "Did you mean 'x1' or 'x2'?");
    const badTarget = new CsvTabularSource({ paths: [file], features: ['x1'], targets: ['why'], configPath: 'data.sources[0]' });
    await rejectsWith(readAll(badTarget), "target column 'why' (data.sources[0].targets[0])");
  });

  it('a non-numeric or empty cell names file:line and the column', async () => {
    const file = writeFile(tmp(), 'd.csv', 'a,b,y\n1,2,3\n4,abc,6\n');
    await rejectsWith(readAll(new CsvTabularSource({ paths: [file], features: ['a', 'b'], targets: ['y'] })), `${file}:3:3: column 'b' has "abc", which is not a number (expected a decimal number such as 3, -0.5 or 1e-3). Fix the data.`);
    const empty = writeFile(tmp(), 'e.csv', 'a,b,y\n1,,3\n');
    await rejectsWith(readAll(new CsvTabularSource({ paths: [empty], features: ['a', 'b'], targets: ['y'] })), `${empty}:2:3: column 'b' is empty`);
    // Missing-value markers of exports (pandas, R, spreadsheets) say why they cannot be trained on.
    const markers = writeFile(tmp(), 'm.csv', 'a,y\nNaN,1\n-inf,2\nNA,3\n?,4\n');
    await rejectsWith(
      readAll(new CsvTabularSource({ paths: [markers], features: ['a'], targets: ['y'] })),
      `  - ${markers}:2:1: column 'a' has "NaN", which is not a number (missing and non-finite values cannot be trained on: fill the cell or drop the row)`,
      `${markers}:3:1: column 'a' has "-inf"`,
      `${markers}:5:1: column 'a' has "?", which is not a number (missing`,
    );
  });

  it('a number beyond float32 (it would train as Infinity) names file:line, the column and the range', async () => {
    const file = writeFile(tmp(), 'big.csv', 'a,y\n1,3.4e38\n2,1e400\n-3e39,1\n');
    await rejectsWith(
      readAll(new CsvTabularSource({ paths: [file], features: ['a'], targets: ['y'] })),
      `${file}:3:3: column 'y' has 1e400, which is out of range: numbers must be finite and within ±3.4e38 (float32)`,
      `${file}:4:1: column 'a' has -3e39, which is out of range`,
    );
    const json = writeFile(tmp(), 'big.jsonl', '{"a": 1, "y": 3e39}\n{"a": "1e400", "y": 1}\n{"a": 2, "y": 3.4e38}\n');
    await rejectsWith(
      readAll(new JsonlTabularSource({ paths: [json], features: ['a'], targets: ['y'] })),
      `${json}:1:15: column 'y' has 3e+39, which is out of range`,
      `${json}:2:7: column 'a' has 1e400, which is out of range`,
    );
  });

  it('a label that is not a whole number or a listed class names file:line, the column and what is allowed', async () => {
    const file = writeFile(tmp(), 'd.csv', 'x,kind\n1,0\n2,1.5\n');
    await rejectsWith(readAll(new CsvTabularSource({ paths: [file], features: ['x'], label: 'kind' })), `${file}:3:3: column 'kind' has "1.5"; class labels must be whole numbers`);
    const named = writeFile(tmp(), 'n.csv', 'x,kind\n1,dgo\n');
    await rejectsWith(readAll(new CsvTabularSource({ paths: [named], features: ['x'], label: 'kind', classes: ['cat', 'dog'] })), `${named}:2:3: column 'kind' has "dgo", which is not one of the classes cat, dog. Did you mean 'dog'?`);
  });

  it('lists every bad row of the files at once, with its place', async () => {
    const a = writeFile(tmp(), 'a.csv', 'a,b,y\n1,2,3\n4,abc,6\n7,8\n');
    const b = writeFile(tmp(), 'b.csv', 'a,b,y\n"9,1,2\n1,2,3\n');
    await assert.rejects(readAll(new CsvTabularSource({ paths: [a, b], features: ['a', 'b'], targets: ['y'] })), (e: Error) => {
      assert.equal(
        e.message,
        [
          '3 bad CSV lines:',
          `  - ${a}:3:3: column 'b' has "abc", which is not a number (expected a decimal number such as 3, -0.5 or 1e-3)`,
          `  - ${a}:4:4: expected 3 cells like the header, got 2`,
          `  - ${b}:2:1: quoted cell is not closed: it runs on to the end of the file (a quote inside a quoted cell is written "")`,
          'Fix the data.',
        ].join('\n'),
      );
      return true;
    });
  });

  it('a row with the wrong number of cells, an unclosed quote or an empty file is an error with its place', async () => {
    const short = writeFile(tmp(), 's.csv', 'a,b,y\n1,2\n');
    await rejectsWith(readAll(new CsvTabularSource({ paths: [short], features: ['a'], targets: ['y'] })), `${short}:2:4: expected 3 cells like the header, got 2`);
    const quote = writeFile(tmp(), 'q.csv', 'a,y\n"1,2\n');
    await rejectsWith(readAll(new CsvTabularSource({ paths: [quote], features: ['a'], targets: ['y'] })), `${quote}:2:1: quoted cell is not closed`);
    const empty = writeFile(tmp(), 'empty.csv', '\n');
    await rejectsWith(readAll(new CsvTabularSource({ paths: [empty], features: ['a'], targets: ['y'] })), `${empty}: the file is empty`);
  });

  it('places a row of the wrong width at file:line:col: its first extra cell, or the end of the record', async () => {
    const file = writeFile(tmp(), 'w.csv', 'a,b,y\n1,2,3,4\n1,2,3, "4"\n5,"two\nlines"\n');
    await rejectsWith(
      readAll(new CsvTabularSource({ paths: [file], features: ['a'], targets: ['y'] })),
      `${file}:2:7: expected 3 cells like the header, got 4`,
      `${file}:3:8: expected 3 cells like the header, got 4`,
      // A quoted cell spanning lines: the missing cell goes after it, on the record's last line.
      `${file}:5:7: expected 3 cells like the header, got 2`,
    );
  });

  it('reads quoted cells holding line breaks, and spaces around quoted cells, as RFC 4180 records', async () => {
    const file = writeFile(tmp(), 'notes.csv', 'x,note,y\r\n1,"two\r\nlines, and ""quotes""",2\r\n3, "x,y" ,4\r\n\r\n5,"",6\r\n');
    const rows = await readAll(new CsvTabularSource({ paths: [file], features: ['x'], targets: ['y'] }));
    assert.deepEqual(rows.map((r) => [r.features, r.targets, r.origin.line]), [
      [[1], [2], 2],
      [[3], [4], 4],
      [[5], [6], 6],
    ]);
  });

  it('places a bad cell at its line and column, also after a quoted cell that spans lines', async () => {
    const file = writeFile(tmp(), 'placed.csv', 'note,a,y\n"two\nlines", x ,1\n');
    await rejectsWith(readAll(new CsvTabularSource({ paths: [file], features: ['a'], targets: ['y'] })), `${file}:3:8: column 'a' has "x", which is not a number`);
  });

  it('a quote left open is reported where its record starts, and stops after 1000 lines', async () => {
    const lines = ['x,y', '1,"oops', ...Array.from({ length: 1200 }, (_, i) => `${i},${i}`), 'z,2'];
    const file = writeFile(tmp(), 'open.csv', `${lines.join('\n')}\n`);
    // The open record takes 1000 lines (2..1001); the next records are read again, up to the bad 'z'.
    await assert.rejects(readAll(new CsvTabularSource({ paths: [file], features: ['x'], targets: ['y'] })), (e: Error) => {
      assert.ok(e.message.startsWith('2 bad CSV lines:\n'), e.message);
      assert.ok(e.message.includes(`${file}:2:3: quoted cell is not closed: it runs on to 1000 lines`), e.message);
      assert.ok(e.message.includes(`${file}:1203:1: column 'x' has "z", which is not a number`), e.message);
      return true;
    });
  });

  it('a column that the source reads and the header repeats is an error naming the cells', async () => {
    const file = writeFile(tmp(), 'dup.csv', 'x,x,y,note,note\n1,100,1,a,b\n');
    await rejectsWith(readAll(new CsvTabularSource({ paths: [file], features: ['x'], targets: ['y'] })), `${file}:1: column 'x' appears 2 times in the header (cells 1, 2); rename all but one`);
    // A repeated column that is not read is no problem.
    const ok = writeFile(tmp(), 'ok.csv', 'x,y,note,note\n1,2,a,b\n');
    assert.equal((await readAll(new CsvTabularSource({ paths: [ok], features: ['x'], targets: ['y'] }))).length, 1);
  });

  it('reads .tsv files at tabs unless told otherwise, and a header read as one cell says which delimiter to set', async () => {
    const tsv = writeFile(tmp(), 'd.tsv', 'a\tb\ty\n1\t2,5\t3\n');
    assert.deepEqual((await readAll(new CsvTabularSource({ paths: [tsv], features: ['a'], targets: ['y'] }))).map((r) => [r.features, r.targets]), [[[1], [3]]]);
    const semicolons = writeFile(tmp(), 'eu.csv', 'a;b;y\n1,5;2;3\n');
    await rejectsWith(
      readAll(new CsvTabularSource({ paths: [semicolons], features: ['a'], targets: ['y'], configPath: 'data.sources[0]' })),
      `${semicolons}:1: feature column 'a' (data.sources[0].features[0]) is not in the header. Columns: a;b;y. The header is one cell split at ',', but it holds ';': if that separates the columns, set delimiter: ";" on data.sources[0].`,
    );
    const headless = writeFile(tmp(), 'headless.csv', '1,2,3\n4,5,6\n');
    await rejectsWith(
      readAll(new CsvTabularSource({ paths: [headless], features: ['a'], targets: ['y'] })),
      `${headless}:1: feature column 'a' (source.features[0]) is not in the header. Columns: 1, 2, 3. The first row holds only numbers, so it looks like data: a CSV file needs a header row naming its columns first.`,
    );
    const jsonl = writeFile(tmp(), 'rows.jsonl', '{"a": 1, "y": 2}\n');
    await rejectsWith(readAll(new CsvTabularSource({ paths: [jsonl], features: ['a'], targets: ['y'] })), 'The first row is a JSON object: for JSON Lines use a jsonl source.');
    const tabs = writeFile(tmp(), 'tabs.csv', 'a\tb\ty\n1\t2\t3\n');
    await rejectsWith(readAll(new CsvTabularSource({ paths: [tabs], features: ['a'], targets: ['y'] })), 'but it holds a tab ("\\t"): if that separates the columns, set delimiter: "\\t" on the source.');
  });

  it('resolves paths and globs against cwd', async () => {
    writeFile(tmp(), 'parts/a.csv', 'x,y\n1,2\n');
    writeFile(tmp(), 'parts/b.csv', 'x,y\n3,4\n');
    const rows = await readAll(new CsvTabularSource({ paths: ['parts/*.csv'], features: ['x'], targets: ['y'], cwd: tmp() }));
    assert.deepEqual(rows.map((r) => path.basename(r.origin.file)), ['a.csv', 'b.csv']);
  });
});

describe('JsonlTabularSource', () => {
  const tmp = useTempDir();

  it('reads objects keyed by column, ignoring other keys', async () => {
    const file = writeFile(tmp(), 'd.jsonl', '{"a": 1, "b": 2, "note": "x", "y": 3}\n\n{"a": -1, "b": "0.5", "y": 4}\n');
    const rows = await readAll(new JsonlTabularSource({ paths: [file], features: ['b', 'a'], targets: ['y'] }));
    assert.deepEqual(rows.map((r) => [r.features, r.targets]), [
      [[2, 1], [3]],
      [[0.5, -1], [4]],
    ]);
  });

  it('a missing key, a non-numeric value or malformed JSON names file:line and the column', async () => {
    const missing = writeFile(tmp(), 'm.jsonl', '{"a": 1, "y": 3}\n{"A": 1, "y": 3}\n');
    await rejectsWith(
      readAll(new JsonlTabularSource({ paths: [missing], features: ['a'], targets: ['y'], configPath: 'data.sources[1]' })),
      `${missing}:2: feature column 'a' (data.sources[1].features[0]) is not in this record`,
      "Did you mean 'A'?",
    );
    const text = writeFile(tmp(), 't.jsonl', '{"a": true, "y": 3}\n');
    await rejectsWith(readAll(new JsonlTabularSource({ paths: [text], features: ['a'], targets: ['y'] })), `${text}:1:7: column 'a' has boolean, which is not a number`);
    const bad = writeFile(tmp(), 'b.jsonl', '{"a": 1, "y": 3}\n{"a": 1,, "y": 3}\n');
    await rejectsWith(readAll(new JsonlTabularSource({ paths: [bad], features: ['a'], targets: ['y'] })), `${bad}:2`, 'invalid JSON');
  });

  it('lists every bad record at once', async () => {
    const file = writeFile(tmp(), 'many.jsonl', '{"a": 1, "y": 3}\n{"a": "x", "y": 3}\n{"y": 3}\n{"a": 2, "y": 4}\n');
    await assert.rejects(readAll(new JsonlTabularSource({ paths: [file], features: ['a'], targets: ['y'] })), (e: Error) => {
      const lines = e.message.split('\n');
      assert.equal(lines[0], '2 bad JSONL lines:');
      assert.equal(lines[1], `  - ${file}:2:7: column 'a' has "x", which is not a number (expected a decimal number such as 3, -0.5 or 1e-3)`);
      assert.ok(lines[2].startsWith(`  - ${file}:3: feature column 'a' (source.features[0]) is not in this record`), lines[2]);
      assert.equal(lines[lines.length - 1], 'Fix the data.');
      return true;
    });
    // A line that is not UTF-8 is listed with the others, not a stop on its own.
    const latin1 = path.join(tmp(), 'latin1.jsonl');
    fs.writeFileSync(latin1, Buffer.concat([Buffer.from('{"a": 1, "y": 3}\n{"a": 2, "y": 3, "note": "caf'), Buffer.from([0xe9]), Buffer.from('"}\n{"a": "x", "y": 3}\n')]));
    await rejectsWith(readAll(new JsonlTabularSource({ paths: [latin1], features: ['a'], targets: ['y'] })), '2 bad JSONL lines:', `  - ${latin1}:2:30: not UTF-8 text (byte 0xE9)`, `  - ${latin1}:3:7: column 'a' has "x"`);
  });
});
