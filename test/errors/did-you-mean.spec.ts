import { strict as assert } from 'assert';
import { closestMatch, didYouMean, editDistance } from '../../src/errors';

describe('didYouMean', () => {
  it('computes edit distances', () => {
    assert.equal(editDistance('adamx', 'adamw'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  it('suggests a close choice and nothing for a distant word', () => {
    assert.equal(closestMatch('adamx', ['adamw', 'adam', 'sgd']), 'adamw');
    assert.equal(didYouMean('zzzzzz', ['adamw', 'sgd']), '');
    assert.equal(didYouMean('sdg', ['adamw', 'sgd']), " Did you mean 'sgd'?");
  });
});
