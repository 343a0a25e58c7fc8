import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DataRecord, TextSource, expandPaths, globSegmentToRegExp } from '../../../src/data';
import { DataError } from '../../../src/errors';

async function collect(source: AsyncIterable<DataRecord>): Promise<DataRecord[]> {
  const out: DataRecord[] = [];
  for await (const r of source) out.push(r);
  return out;
}

describe('TextSource', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-text-'));
    fs.mkdirSync(path.join(dir, 'a', 'deep'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'one.txt'), 'first doc\nsecond line\n');
    fs.writeFileSync(path.join(dir, 'two.txt'), 'line A\r\n\r\nline B');
    fs.writeFileSync(path.join(dir, 'skip.md'), 'markdown');
    fs.writeFileSync(path.join(dir, '.hidden.txt'), 'hidden');
    fs.writeFileSync(path.join(dir, 'a', 'deep', 'three.txt'), 'deep doc');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('expands globs with *, ** and {a,b}, sorted and without dotfiles', async () => {
    const rel = (files: string[]) => files.map((f) => path.relative(dir, f));
    assert.deepEqual(rel(await expandPaths(['*.txt'], dir)), ['one.txt', 'two.txt']);
    assert.deepEqual(rel(await expandPaths(['**/*.txt'], dir)), [path.join('a', 'deep', 'three.txt'), 'one.txt', 'two.txt']);
    assert.deepEqual(rel(await expandPaths(['*.{md,txt}', 'one.txt'], dir)), ['one.txt', 'skip.md', 'two.txt']);
    assert.deepEqual(rel(await expandPaths(['a'], dir)), [path.join('a', 'deep', 'three.txt')]);
    assert.ok(globSegmentToRegExp('f?le[0-9].txt').test('file7.txt'));
    assert.ok(!globSegmentToRegExp('*.txt').test('a.txt.bak'));
  });

  it('errors with the pattern when nothing matches', async () => {
    await assert.rejects(expandPaths(['*.csv'], dir), (e: Error) => e instanceof DataError && /\*\.csv: pattern matched no files/.test(e.message));
    await assert.rejects(expandPaths(['missing.txt'], dir), (e: Error) => e instanceof DataError && /missing\.txt: data file not found/.test(e.message));
    await assert.rejects(expandPaths(['~/corpus.txt'], dir), (e: Error) => e instanceof DataError && e.message.endsWith('a glob pattern (~ is not expanded here: write the full path, or one relative to the recipe)'));
  });

  it('yields one document per file, with CRLF line ends read as LF (as Python reads text files)', async () => {
    const records = await collect(new TextSource({ paths: ['*.txt'], cwd: dir }));
    assert.deepEqual(
      records.map((r) => (r.kind === 'text' ? r.text : '')),
      ['first doc\nsecond line\n', 'line A\n\nline B'],
    );
    assert.deepEqual(records[1].origin, { file: path.join(dir, 'two.txt'), line: 1 });
  });

  it('yields one document per non-empty line with its line number', async () => {
    const records = await collect(new TextSource({ paths: ['two.txt', 'one.txt'], cwd: dir, unit: 'line' }));
    assert.deepEqual(
      records.map((r) => [r.kind === 'text' ? r.text : '', path.basename(r.origin.file), r.origin.line]),
      [['first doc', 'one.txt', 1], ['second line', 'one.txt', 2], ['line A', 'two.txt', 1], ['line B', 'two.txt', 3]],
    );
  });
});

describe('expandPaths: folders, symbolic links and literal names', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-glob-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const put = (rel: string, content = 'x'): string => {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    return file;
  };
  const rel = (files: string[]) => files.map((f) => path.relative(dir, f));

  it('a folder gives only files with the source extensions, and says what it has when none match', async () => {
    put('data/a.jsonl');
    put('data/sub/b.NDJSON');
    put('data/README.md');
    assert.deepEqual(rel(await expandPaths(['data'], { cwd: dir, folderExtensions: ['.jsonl', '.ndjson'] })), ['data/a.jsonl', 'data/sub/b.NDJSON']);
    assert.deepEqual(rel(await expandPaths(['data'], dir)), ['data/README.md', 'data/a.jsonl', 'data/sub/b.NDJSON'], 'without extensions: every file');
    assert.deepEqual(rel(await expandPaths(['data/*.md'], { cwd: dir, folderExtensions: ['.jsonl'] })), ['data/README.md'], 'a glob matches what it says');
    put('docs/notes.md');
    await assert.rejects(
      expandPaths(['docs'], { cwd: dir, folderExtensions: ['.csv', '.tsv'] }),
      (e: Error) => e instanceof DataError && e.message.startsWith('docs: the folder has no .csv or .tsv files (it has notes.md)'),
    );
  });

  it('follows symbolic links to files and folders under **, once per file and without looping', async () => {
    put('real/a.txt');
    put('top/b.txt');
    fs.symlinkSync(path.join(dir, 'real', 'a.txt'), path.join(dir, 'top', 'link.txt'));
    fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'top', 'linked-dir'));
    fs.symlinkSync(path.join(dir, 'top'), path.join(dir, 'top', 'loop'));
    // Every spelling that reaches the files finds the same ones; the linked copy of real/a.txt is read once.
    for (const pattern of ['top', 'top/**', 'top/**/*.txt']) {
      assert.deepEqual(rel(await expandPaths([pattern], dir)), ['top/b.txt', 'top/link.txt'], pattern);
    }
  });

  it('takes an existing path literally even when its name holds glob characters', async () => {
    const file = put('g/data[1].txt');
    put('g/data1.txt');
    assert.deepEqual(await expandPaths(['g/data[1].txt'], dir), [file]);
    assert.deepEqual(rel(await expandPaths(['g/data[0-9].txt'], dir)), ['g/data1.txt']);
  });
});
