import { strict as assert } from 'assert';
import { defaultDecayFilter, defaultNoDecay, makeDecayFilter, matchesAny } from '../../src/optim';

describe('decay filters', () => {
  it('defaultNoDecay excludes biases, norm weights and embeddings only', () => {
    const noDecay = [
      'embed.tokens.weight',
      'embed.positions.weight',
      'model.embed.tokens.weight',
      'blocks.0.norm1.weight',
      'blocks.0.norm1.bias',
      'norm.weight',
      'blocks.1.attn.qkv.bias',
      'bias',
    ];
    const decay = ['blocks.0.attn.qkv.weight', 'blocks.0.attn.out.weight', 'blocks.0.mlp.up.weight', 'lm_head.weight', 'embedding_proj.weight', 'layer.biasx'];
    for (const n of noDecay) assert.equal(defaultNoDecay(n), true, n);
    for (const n of decay) assert.equal(defaultNoDecay(n), false, n);
    for (const n of decay) assert.equal(defaultDecayFilter(n), true, n);
    for (const n of noDecay) assert.equal(defaultDecayFilter(n), false, n);
  });

  it('defaultNoDecay knows the norm and embedding weights of tfjs layers models (camelCase layer names)', () => {
    // `model: { type: layers }` names weights `<layerName>.<weightName>`, list layers `<type>_<index>`.
    const noDecay = ['batchNormalization_1.gamma', 'batchNormalization_1.beta', 'layerNormalization_2.gamma', 'embedding_0.embeddings', 'dense_0.bias'];
    const decay = ['dense_0.kernel', 'conv1d_3.kernel', 'embedding_proj.weight'];
    for (const n of noDecay) assert.equal(defaultDecayFilter(n), false, n);
    for (const n of decay) assert.equal(defaultDecayFilter(n), true, n);
  });

  it('makeDecayFilter takes globs and regexps', () => {
    const filter = makeDecayFilter({ noDecay: ['lm_head.*', 'blocks.?.mlp.*', /\.bias$/g] });
    assert.equal(filter('lm_head.weight'), false);
    assert.equal(filter('blocks.3.mlp.up.weight'), false);
    assert.equal(filter('blocks.12.mlp.up.weight'), true, '? matches one character');
    assert.equal(filter('blocks.0.norm1.weight'), true, 'not in this list');
    // A /g regexp must not carry lastIndex from one name to the next.
    for (let i = 0; i < 3; i++) assert.equal(filter('a.bias'), false);
    assert.equal(filter('lm_headXweight'), true, 'dots in globs are literal');
  });

  it('matchesAny matches whole names', () => {
    assert.equal(matchesAny('x.norm.y', ['*norm*']), true);
    assert.equal(matchesAny('x.norm.y', ['norm']), false);
    assert.equal(matchesAny('x.norm.y', [/norm/]), true);
  });
});
