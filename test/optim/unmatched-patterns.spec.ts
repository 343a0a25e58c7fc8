import { strict as assert } from 'assert';
import { unmatchedPatternIssues } from '../../src/optim/unmatched-patterns';

const LAYERS = ['blocks.0.attn.qkv', 'blocks.0.attn.out', 'blocks.0.mlp.up', 'blocks.0.mlp.gate', 'blocks.0.mlp.down', 'blocks.1.attn.qkv', 'lm_head'];
const WEIGHTS = ['embed.tokens.weight', 'blocks.0.norm1.weight', 'blocks.0.attn.qkv.weight', 'norm.weight'];

/** The hint of the one issue `pattern` gets, from its last sentence on. */
function suggestion(pattern: string, names: readonly string[]): string {
  const issues = unmatchedPatternIssues([pattern], names, { path: 'model.lora.targets', noun: 'dense layer', label: 'Targets' });
  assert.equal(issues.length, 1);
  return /(Did you mean .*)?$/.exec(issues[0].hint ?? '')?.[0] ?? '';
}

describe('unmatchedPatternIssues', () => {
  it("suggests the glob a typo in a pattern's literal part meant: *.mlp.dwn → *.mlp.down, embd.* → embed.*", () => {
    assert.equal(suggestion('*.mlp.dwn', LAYERS), "Did you mean '*.mlp.down'?");
    assert.equal(suggestion('*.atn.out', LAYERS), "Did you mean '*.attn.out'?");
    assert.equal(suggestion('*.gat', LAYERS), "Did you mean '*.gate'?");
    assert.equal(suggestion('embd.*', WEIGHTS), "Did you mean 'embed.*'?");
  });

  it('keeps the whole-name suggestion for a pattern without wildcards, and suggests nothing far off', () => {
    assert.equal(suggestion('blocks.0.attn.qvk', LAYERS), "Did you mean 'blocks.0.attn.qkv'?");
    assert.equal(suggestion('*.conv', LAYERS), '');
    assert.equal(suggestion('*.mlp.*x', LAYERS), '');
  });
});
