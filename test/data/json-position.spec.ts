import { strict as assert } from 'assert';
import { firstJsonErrorOffset, jsonErrorMessage, jsonErrorPosition, jsonValueOffset } from '../../src/data/json-position';

/** V8's own error offset, when its message gives one. */
function v8Offset(text: string): number | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    const match = /position (\d+)/.exec((error as Error).message);
    return match === null ? undefined : Number(match[1]);
  }
}

describe('jsonErrorPosition', () => {
  it('finds the bad character where V8 names none (Unexpected token)', () => {
    const cases: Array<[string, number]> = [
      ['not json', 1],
      ['{"a": tru}', 9],
      ['[1,]', 3],
      ['{"a": [1, 2,, 3]}', 12],
      ['{"a": NaN}', 6],
    ];
    for (const [text, offset] of cases) {
      assert.equal(v8Offset(text), undefined, `V8 gives no position for ${text}`);
      assert.equal(firstJsonErrorOffset(text), offset, text);
    }
    assert.deepEqual(jsonErrorPosition('{"a": 1,\n "b": tru}', new SyntaxError("Unexpected token '}'")), { line: 2, col: 10 });
  });

  it('agrees with V8 wherever V8 names the position', () => {
    const broken = ["{'a': 1}", '{"a" 1}', '{"a":1}}', '{"a": "x\\q"}', '{"a": 01}', '{"a": 1.}', '{"a": "\\u12G4"}', '{"k": -}', '{"a":1,}', '[1 2]', '{"a": 1e}', '"tab\there"', '{"a": [true false]}'];
    let compared = 0;
    for (const text of broken) {
      const v8 = v8Offset(text);
      if (v8 === undefined) continue;
      compared++;
      assert.equal(firstJsonErrorOffset(text), v8, text);
    }
    assert.ok(compared >= 10, `compared ${compared} cases`);
  });

  it('passes valid JSON and leaves a text that only ends early without a position', () => {
    for (const text of ['{"ok": [true, false, null, -1.5e+3, "\\u00e9", {}, []]}', ' 0 ', '"\\"\\\\\\/\\b\\f\\n\\r\\t"']) {
      JSON.parse(text);
      assert.equal(firstJsonErrorOffset(text), undefined, text);
    }
    assert.equal(firstJsonErrorOffset('{"a": [1, 2'), undefined);
    assert.equal(firstJsonErrorOffset(''), undefined);
  });

  it('shows control characters of the bad text escaped (a NUL of a binary file), without the offset', () => {
    let error: unknown;
    try {
      JSON.parse('\u0000\u001b[2J');
    } catch (e) {
      error = e;
    }
    assert.equal(jsonErrorMessage(error), `Unexpected token '\\u0000', "\\u0000\\u001b[2J" is not valid JSON`);
  });

  it('finds where the value at a path starts (the last of a repeated key, as JSON.parse keeps)', () => {
    const text = '{"messages": [{"role": "user"}, {"role": "bot", "content": 5}], "a\\u0062": 1, "x": 1, "x": 2}';
    const at = (path: Array<string | number>): string | undefined => {
      const offset = jsonValueOffset(text, path);
      return offset === undefined ? undefined : text.slice(offset, offset + 5);
    };
    assert.equal(at(['messages', 1, 'role']), '"bot"');
    assert.equal(at(['messages', 1, 'content']), '5}], ');
    assert.equal(at(['ab']), '1, "x');
    assert.equal(at(['x']), '2}');
    assert.equal(at(['messages', 2]), undefined);
    assert.equal(jsonValueOffset(text, []), 0);
  });
});
