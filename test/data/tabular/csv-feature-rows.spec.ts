import { strict as assert } from 'assert';
import { DataError, readCsvFeatureRows } from '../../../src';
import { useTempDir, writeFile } from '../../fixtures/supervised';

/** The DataError message `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DataError, String(error));
    return error.message;
  }
  return assert.fail('expected a DataError');
}

describe('readCsvFeatureRows', () => {
  const tmp = useTempDir('floe-csv-rows-');

  it('reads the features by header name in the model’s order, ignoring the label and other columns', async () => {
    const file = writeFile(tmp(), 'rows.csv', 'id,b,y,a\nr1,120,7,0.25\n\n"r2", "800" ,8,.9\n');
    assert.deepEqual(await readCsvFeatureRows(file, ['a', 'b']), [
      [0.25, 120],
      [0.9, 800],
    ]);
  });

  it('reads .tsv files split at tabs, and another delimiter when given', async () => {
    assert.deepEqual(await readCsvFeatureRows(writeFile(tmp(), 'rows.tsv', 'a\tb\n1\t2\n'), ['a', 'b']), [[1, 2]]);
    assert.deepEqual(await readCsvFeatureRows(writeFile(tmp(), 'semi.csv', 'a;b\n1;2\n'), ['a', 'b'], { delimiter: ';' }), [[1, 2]]);
  });

  it('names a feature missing from the header with the columns there, the model’s features and a did-you-mean', async () => {
    const file = writeFile(tmp(), 'rows.csv', 'a,bb,y\n1,2,3\n');
    const message = await failure(readCsvFeatureRows(file, ['a', 'b']));
    assert.equal(message, `${file}:1: feature column 'b' (the trained model) is not in the header. Columns: a, bb, y. Did you mean 'bb'? The model reads the features a, b.`);
  });

  it('says which delimiter to pass when the header is one cell holding another separator', async () => {
    const file = writeFile(tmp(), 'rows.csv', 'a;b\n1;2\n');
    const message = await failure(readCsvFeatureRows(file, ['a', 'b']));
    assert.ok(message.endsWith("if that separates the columns, pass --delimiter ';'."), message);
  });

  it('reports every bad row at once, each at file:line:col with what is allowed', async () => {
    const file = writeFile(tmp(), 'rows.csv', 'a,b,y\n1,2,3\n1,x,3\n1,2\n1,2,3,4\n"1,2,3\n');
    const message = await failure(readCsvFeatureRows(file, ['a', 'b']));
    assert.match(message, /^4 bad input lines:\n/);
    for (const part of [
      `${file}:3:3: column 'b' has "x", which is not a number (expected a decimal number such as 3, -0.5 or 1e-3)`,
      `${file}:4:4: expected 3 cells like the header (a, b, y), got 2`,
      `${file}:5:7: expected 3 cells like the header (a, b, y), got 4`,
      `${file}:6:1: quoted cell is not closed`,
      'Fix the rows; nothing was predicted.',
    ]) {
      assert.ok(message.includes(part), `${message}\nlacks ${part}`);
    }
  });

  it('refuses an empty file and a header that repeats a feature', async () => {
    const empty = writeFile(tmp(), 'empty.csv', '\n');
    assert.equal(await failure(readCsvFeatureRows(empty, ['a', 'b'])), `${empty}: the file is empty; expected a header row naming the columns (a, b)`);
    const twice = writeFile(tmp(), 'twice.csv', 'a,b,a\n1,2,3\n');
    assert.equal(await failure(readCsvFeatureRows(twice, ['a', 'b'])), `${twice}:1: column 'a' appears 2 times in the header (cells 1, 3); rename all but one`);
  });
});
