import { strict as assert } from 'assert';
import { splitCsvLine } from '../../../src';

describe('splitCsvLine', () => {
  it('splits plain, quoted and empty cells', () => {
    assert.deepEqual(splitCsvLine('a,b,,d'), ['a', 'b', '', 'd']);
    assert.deepEqual(splitCsvLine('"x, y",2,"say ""hi"""'), ['x, y', '2', 'say "hi"']);
    assert.deepEqual(splitCsvLine('1,2,'), ['1', '2', '']);
    assert.deepEqual(splitCsvLine('1;2.5;-3', ';'), ['1', '2.5', '-3']);
  });

  it('reports an unclosed quote and text after a closing quote with their column', () => {
    assert.deepEqual(splitCsvLine('1,"abc'), { message: 'quoted cell is not closed (quoted cells spanning lines are not supported)', col: 3 });
    assert.deepEqual(splitCsvLine('"a"b,2'), { message: "unexpected text after a closing quote (expected ',')", col: 4 });
  });
});
