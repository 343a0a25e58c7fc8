import { strict as assert } from 'assert';
import { splitCsvLine } from '../../../src';

describe('splitCsvLine', () => {
  it('splits plain, quoted and empty cells', () => {
    assert.deepEqual(splitCsvLine('a,b,,d'), ['a', 'b', '', 'd']);
    assert.deepEqual(splitCsvLine('"x, y",2,"say ""hi"""'), ['x, y', '2', 'say "hi"']);
    assert.deepEqual(splitCsvLine('1,2,'), ['1', '2', '']);
    assert.deepEqual(splitCsvLine('1;2.5;-3', ';'), ['1', '2.5', '-3']);
    // Spaces around a quoted cell are not part of it; around a plain cell they are kept.
    assert.deepEqual(splitCsvLine(' x1 , "x2 " ,y'), [' x1 ', 'x2 ', 'y']);
    assert.deepEqual(splitCsvLine('1, "2,5",3'), ['1', '2,5', '3']);
    // ...unless spaces are the delimiter: then two spaces hold an empty cell.
    assert.deepEqual(splitCsvLine('1  "a b" 2', ' '), ['1', '', 'a b', '2']);
  });

  it('reports an unclosed quote and text after a closing quote with their column', () => {
    assert.deepEqual(splitCsvLine('1,"abc'), { message: 'quoted cell is not closed', col: 3, unclosed: true });
    assert.deepEqual(splitCsvLine('"a"b,2'), { message: "unexpected text after a closing quote (expected ',')", col: 4 });
  });

  it('gives the offset of each cell (the quote of a quoted one), for messages', () => {
    const starts: number[] = [];
    assert.deepEqual(splitCsvLine('a, "b,c",,d,', ',', starts), ['a', 'b,c', '', 'd', '']);
    assert.deepEqual(starts, [0, 3, 9, 10, 12]);
  });
});
