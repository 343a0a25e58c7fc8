import { strict as assert } from 'assert';
import { formatLocation, parseYamlSource } from '../../src';
import { expectConfigErrorSync } from './recipe-dir';

describe('parseYamlSource', () => {
  it('returns the plain value and the line:col of every key and value', () => {
    const text = ['type: tiny', 'optimizer:', '  type: adam', '  betas: [0.9, 0.95]', 'checkpoint:', '  - type: floe', ''].join('\n');
    const { value, sourceMap } = parseYamlSource(text, 'recipe.yaml');
    assert.deepEqual(value, { type: 'tiny', optimizer: { type: 'adam', betas: [0.9, 0.95] }, checkpoint: [{ type: 'floe' }] });
    assert.equal(formatLocation(sourceMap.locate('optimizer.type')), 'recipe.yaml:3:9');
    assert.equal(formatLocation(sourceMap.locateKey('optimizer.type')), 'recipe.yaml:3:3');
    assert.equal(formatLocation(sourceMap.locate('optimizer.betas[1]')), 'recipe.yaml:4:16');
    assert.equal(formatLocation(sourceMap.locate('checkpoint[0].type')), 'recipe.yaml:6:11');
    // A path with no entry of its own falls back to its nearest ancestor.
    assert.equal(formatLocation(sourceMap.locate('optimizer.lr')), 'recipe.yaml:3:3');
  });

  it('treats an empty file as an empty mapping', () => {
    assert.deepEqual(parseYamlSource('', 'empty.yaml').value, {});
  });

  it('rejects a syntax error with file:line:col', () => {
    const error = expectConfigErrorSync(() => parseYamlSource('type: tiny\noptimizer: [1, 2\n', 'broken.yaml'));
    assert.equal(error.issues.length, 1);
    assert.match(error.issues[0].message, /^YAML syntax error: /);
    assert.match(error.message, /^Cannot parse broken\.yaml: YAML syntax error: .* \(broken\.yaml:2:12\)$/);
  });

  describe('says what to fix for the usual slips, where the fix goes (not where the parser gave up)', () => {
    const problem = (text: string): string => {
      const error = expectConfigErrorSync(() => parseYamlSource(text, 'r.yaml'));
      return error.issues.map((i) => `${i.message} (${formatLocation(i.location)})`).join('\n');
    };

    it('a tab as indentation, alone (the parser\'s guess at the rest is no duplicate key)', () => {
      assert.equal(problem('type: causal\ndata:\n\ttype: causal\n'), 'YAML syntax error: a tab indents this line: YAML indents with spaces only (r.yaml:3:1)');
    });

    it('a key indented deeper than the one above: at that line, once (was twice, about "compact mappings", on the line above)', () => {
      assert.equal(
        problem('model:\n  layers: 2\n   dim: 3\n  heads: 2\n'),
        "YAML syntax error: this line is indented deeper than 'layers: 2' above it, which already has a value: keys of one mapping start in the same column (r.yaml:3:4)",
      );
    });

    it('a key indented between two levels: at the key, naming its column', () => {
      assert.equal(
        problem('model:\n    layers: 1\n  dim: 16\n'),
        "YAML syntax error: 'dim: 16' is indented to column 3, in line with no key above it: keys of one mapping start in the same column (r.yaml:3:3)",
      );
    });

    it('an unclosed quote or bracket: at its opening (was the end of the file)', () => {
      assert.equal(
        problem('seed: 1\ndescription: "abc\noptimizer: {lr: 1}\nepochs: 2\n'),
        'YAML syntax error: the " that opens this string is never closed: it runs to the end of the file (r.yaml:2:14)',
      );
      assert.equal(
        problem('optimizer: {type: adamw, lr: 1\nmodel: {}\n'),
        "YAML syntax error: the '{' opened here is not closed: end it with '}' on its line, or indent its continuation lines (r.yaml:1:12)",
      );
      // A JSON recipe missing its last brace.
      assert.match(problem('{"type": "causal",\n "optimizer": {"lr": 1}\n'), /^YAML syntax error: the '\{' opened here is not closed: .* \(r\.yaml:1:1\)$/);
    });

    it('a key without a colon, or with no space after it', () => {
      assert.equal(problem('seed: 1\nepochs:2\n'), "YAML syntax error: 'epochs:2' is not a key: value pair: put a space after the colon (epochs: 2) (r.yaml:2:1)");
      assert.equal(problem('type causal\nseed: 1\n'), "YAML syntax error: 'type causal' has no ':' after its key, so the next line was read as part of it: write key: value (r.yaml:1:1)");
    });
  });

  it('rejects every duplicate key at once, naming its path and both places', () => {
    const text = ['type: tiny', 'optimizer:', '  lr: 1', '  lr: 2', 'epochs: 1', 'epochs: 2', ''].join('\n');
    const error = expectConfigErrorSync(() => parseYamlSource(text, 'recipe.yaml'));
    assert.equal(
      error.message,
      [
        'Cannot parse recipe.yaml (2 problems):',
        "  - optimizer.lr: duplicate key 'lr' (first at line 3:3); each key may appear once per mapping (recipe.yaml:4:3)",
        "  - epochs: duplicate key 'epochs' (first at line 5:1); each key may appear once per mapping (recipe.yaml:6:1)",
      ].join('\n'),
    );
    assert.deepEqual(
      error.issues.map((i) => i.path),
      ['optimizer.lr', 'epochs'],
    );
  });

  it('merges `<<:` keys as PyYAML does (own keys win, then earlier sources), locating merged settings at their anchor', () => {
    const text = ['small: &small { layers: 1, dim: 16 }', 'model:', '  <<: [*small, { dim: 32, heads: 2 }]', '  layers: 3', 'src: &src { count: 64 }', 'sources: [*src]', ''].join('\n');
    const { value, sourceMap } = parseYamlSource(text, 'r.yaml');
    assert.deepEqual((value as Record<string, unknown>).model, { layers: 3, dim: 16, heads: 2 });
    assert.equal(formatLocation(sourceMap.locate('model.layers')), 'r.yaml:4:11');
    assert.equal(formatLocation(sourceMap.locate('model.dim')), 'r.yaml:1:33');
    assert.equal(formatLocation(sourceMap.locateKey('model.heads')), 'r.yaml:3:27');
    assert.equal(formatLocation(sourceMap.locate('sources[0].count')), 'r.yaml:5:20');
  });

  it('refuses an alias with no anchor before it, or inside the value it names (was an internal ReferenceError / stack overflow)', () => {
    const missing = expectConfigErrorSync(() => parseYamlSource('a: &one 1\nb: *two\n', 'r.yaml'));
    assert.equal(missing.message, "Cannot parse r.yaml: YAML alias '*two' has no anchor '&two' before it (anchors defined above it: &one) (r.yaml:2:4)");
    const cycle = expectConfigErrorSync(() => parseYamlSource('b: &y { c: [*y] }\n', 'r.yaml'));
    assert.equal(cycle.message, "Cannot parse r.yaml: YAML alias '*y' is inside the value anchored '&y': that value would contain itself (r.yaml:1:13)");
  });

  it('rejects duplicate keys inside list items', () => {
    const text = ['data:', '  sources:', '    - type: text', '      type: jsonl', ''].join('\n');
    const error = expectConfigErrorSync(() => parseYamlSource(text, 'recipe.yaml'));
    assert.equal(error.issues[0].path, 'data.sources[0].type');
    assert.equal(formatLocation(error.issues[0].location), 'recipe.yaml:4:7');
  });
});
