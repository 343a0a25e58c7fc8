import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { JsonlSource, TextSource, invalidUtf8Offset, readLines } from '../../../src/data';
import { DataError } from '../../../src/errors';

async function lines(file: string): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  for await (const entry of readLines(file)) out.push(entry);
  return out;
}

async function drain(source: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of source) n++;
  return n;
}

describe('readLines', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-lines-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, content: string | Buffer): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };

  it('numbers LF and CRLF lines, drops a BOM on line 1 and keeps empty lines', async () => {
    const file = write('a.txt', '\uFEFFone\r\ntwo\n\nthré€ 😀\r\nlast');
    assert.deepEqual(await lines(file), [
      [1, 'one'],
      [2, 'two'],
      [3, ''],
      [4, 'thré€ 😀'],
      [5, 'last'],
    ]);
    assert.deepEqual(await lines(write('b.txt', 'x\n')), [[1, 'x']]);
    assert.deepEqual(await lines(write('empty.txt', '')), []);
  });

  it('ends lines at a lone CR as at LF and CRLF (universal newlines), also across read chunks', async () => {
    assert.deepEqual(await lines(write('mac.txt', 'one\rtwo\r\rfour\r\nfive\n\rseven\r')), [
      [1, 'one'],
      [2, 'two'],
      [3, ''],
      [4, 'four'],
      [5, 'five'],
      [6, ''],
      [7, 'seven'],
    ]);
    const mac = path.join(dir, 'mac.txt');
    const docs = [];
    for await (const r of new TextSource({ paths: [mac], unit: 'file' })) docs.push(r.kind === 'text' ? r.text : '');
    assert.deepEqual(docs, ['one\ntwo\n\nfour\nfive\n\nseven\n']);
    const jsonl = write('mac.jsonl', '{"text":"a"}\r{"text":"b"}\r');
    assert.equal(await drain(new JsonlSource({ paths: [jsonl] })), 2);
    // A CRLF split between two 64 KiB chunks is one line end, not two.
    const first = 'a'.repeat(64 * 1024 - 1);
    assert.deepEqual(await lines(write('split.txt', `${first}\r\nb\rc`)), [
      [1, first],
      [2, 'b'],
      [3, 'c'],
    ]);
    // Invalid UTF-8 after lone CRs is reported on its line, in either text unit.
    const file = write('mac-latin1.txt', Buffer.concat([Buffer.from('ok\rcaf'), Buffer.from([0xe9]), Buffer.from('\r')]));
    await assert.rejects(lines(file), (e: Error) => e.message.startsWith(`${file}:2:4: not UTF-8 text`));
    await assert.rejects(drain(new TextSource({ paths: [file], unit: 'file' })), (e: Error) => e.message.startsWith(`${file}:2:4: not UTF-8 text`));
  });

  it('reports a bad first byte of a whole-file document on line 1', async () => {
    const file = write('bad-first.txt', Buffer.concat([Buffer.from([0xff]), Buffer.from('\nabc\n')]));
    await assert.rejects(drain(new TextSource({ paths: [file], unit: 'file' })), (e: Error) => e.message.startsWith(`${file}:1:1: not UTF-8 text (byte 0xFF)`));
  });

  it('refuses a line too long to be one string, naming its line, before reading it whole', async () => {
    const file = write('long-line.txt', `short\n${'x'.repeat(200_000)}\nafter\n`);
    await assert.rejects(
      (async () => {
        for await (const _ of readLines(file, { maxLineBytes: 100_000 })) void _;
      })(),
      (e: Error) => e instanceof DataError && e.message.startsWith(`${file}:2: the line is longer than 100000 bytes with no line break; a line is read as one string`),
    );
    assert.equal((await lines(file)).length, 3);
  });

  it('joins lines and multi-byte characters that span read chunks (64 KiB)', async () => {
    // 3-byte characters, so chunk boundaries fall inside characters; lines of ~100 KB span chunks.
    const rows = Array.from({ length: 7 }, (_, i) => `${i}:${'€'.repeat(30_000 + i * 7_919)}`);
    const file = write('long.txt', rows.join('\r\n'));
    assert.deepEqual(await lines(file), rows.map((r, i) => [i + 1, r]));
  });

  it('reports invalid UTF-8 at file:line:col of the first bad byte', async () => {
    const file = write('latin1.txt', Buffer.concat([Buffer.from('ok\nnaïve\ncaf'), Buffer.from([0xe9]), Buffer.from(' au lait\n')]));
    await assert.rejects(lines(file), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.equal(e.message.split('. ')[0], `${file}:3:4: not UTF-8 text (byte 0xE9)`);
      assert.ok(e.message.includes('iconv -f latin1 -t utf-8'), e.message);
      return true;
    });
  });

  it('finds the first invalid byte as the WHATWG decoder judges it', () => {
    const dec = new TextDecoder('utf-8', { fatal: true });
    const valid = (bytes: number[]): boolean => {
      try {
        dec.decode(Uint8Array.from(bytes));
        return true;
      } catch {
        return false;
      }
    };
    const cases = [
      [0x61, 0xc3, 0xa9], // é
      [0xc0, 0xaf], // overlong
      [0xe0, 0x80, 0xaf], // overlong
      [0xed, 0xa0, 0x80], // surrogate
      [0xf4, 0x90, 0x80, 0x80], // > U+10FFFF
      [0xf0, 0x9f, 0x98, 0x80], // 😀
      [0x61, 0xe2, 0x82], // cut short
      [0x80],
      [0xff, 0x61],
    ];
    for (const bytes of cases) assert.equal(invalidUtf8Offset(Uint8Array.from(bytes)) < 0, valid(bytes), bytes.join(' '));
    assert.equal(invalidUtf8Offset(Uint8Array.from([0x61, 0x62, 0xe2, 0x82])), 2);
  });

  it('a folder or a missing file is a DataError saying why', async () => {
    await assert.rejects(lines(dir), (e: Error) => e instanceof DataError && e.message === `${dir}: cannot read it: it is a folder, not a file (EISDIR)`);
    const missing = path.join(dir, 'nope.txt');
    await assert.rejects(lines(missing), (e: Error) => e instanceof DataError && e.message === `${missing}: cannot read it: file not found (ENOENT)`);
  });

  it('a whole-file document that cannot be read is a DataError saying why, not an internal error', async () => {
    const file = write('locked.txt', 'text');
    // Tests run as root, which chmod cannot lock out: the file system's refusal is simulated.
    const readFile = fs.promises.readFile;
    fs.promises.readFile = (() => Promise.reject(Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES' }))) as typeof readFile;
    try {
      await assert.rejects(drain(new TextSource({ paths: [file], unit: 'file' })), (e: Error) => e instanceof DataError && e.message === `${file}: cannot read it: permission denied (EACCES)`);
    } finally {
      fs.promises.readFile = readFile;
    }
  });

  it('refuses binary files in text and JSONL sources, in either unit', async () => {
    const junk = Buffer.from([0x7b, 0x22, 0x61, 0x0a, 0x00, 0xff, 0xfe, 0x10, 0x80]);
    const file = write('data.bin', junk);
    for (const unit of ['line', 'file'] as const) {
      await assert.rejects(drain(new TextSource({ paths: [file], unit })), (e: Error) => e instanceof DataError && e.message.startsWith(`${file}:2:1: not UTF-8 text (a NUL byte (0x00), which text does not hold: the file looks like UTF-16 or binary)`));
    }
    await assert.rejects(drain(new JsonlSource({ paths: [file], format: 'text' })), /:2:1: not UTF-8 text \(a NUL byte/);
    // Latin-1 is reported at its first non-UTF-8 byte.
    await assert.rejects(drain(new TextSource({ paths: [write('l1.txt', Buffer.from([0x61, 0x0a, 0x62, 0xff]))], unit: 'line' })), /l1\.txt:2:2: not UTF-8 text \(byte 0xFF\)/);
  });

  it('says a UTF-16 file (Excel "Unicode text") is UTF-16, with or without its byte-order mark', async () => {
    const le = write('excel.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,y\r\n1,2\r\n', 'utf16le')]));
    await assert.rejects(lines(le), (e: Error) => e instanceof DataError && e.message === `${le}:1:1: not UTF-8 text (it starts with a UTF-16 byte-order mark). Floe reads text and data files as UTF-8: convert the file (e.g. iconv -f utf-16 -t utf-8), or leave binary files out of the paths`);
    const bare = write('bare.txt', Buffer.from('ab\n', 'utf16le'));
    await assert.rejects(lines(bare), (e: Error) => e instanceof DataError && e.message.startsWith(`${bare}:1:2: not UTF-8 text (a NUL byte (0x00)`));
  });
});
