import { strict as assert } from 'assert';
import { closestMatch, closestMatches, didYouMean, editDistance, orList } from '../../src/errors';

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

  it('suggests every choice as close as the best, in the order given', () => {
    // 'adamm' is one edit from both: suggesting only the first listed hid 'adam'.
    assert.deepEqual(closestMatches('adamm', ['adamw', 'adam', 'sgd']), ['adamw', 'adam']);
    assert.equal(didYouMean('adamm', ['adamw', 'adam', 'sgd']), " Did you mean 'adamw' or 'adam'?");
    assert.equal(didYouMean('adamm', ['sgd', 'adam', 'adamw']), " Did you mean 'adam' or 'adamw'?");
    assert.equal(didYouMean('lr2', ['lr1', 'lr2x', 'lr3', 'beta']), " Did you mean 'lr1', 'lr2x' or 'lr3'?");
    // A choice listed twice is suggested once; a closer one beats the tie.
    assert.equal(didYouMean('adamm', ['adamw', 'adamw', 'adam']), " Did you mean 'adamw' or 'adam'?");
    assert.equal(didYouMean('adamw2', ['adamw', 'adamw2x', 'adam']), " Did you mean 'adamw' or 'adamw2x'?");
    assert.equal(didYouMean('cosin', ['constant', 'cosine', 'linear']), " Did you mean 'cosine'?");
  });

  it('never suggests rewriting a one-letter word, but matches it ignoring case', () => {
    assert.deepEqual(closestMatches('b', ['a', 'c']), []);
    assert.equal(didYouMean('a', ['1', '2', '3']), '');
    assert.equal(didYouMean('A', ['a', 'b']), " Did you mean 'a'?");
    assert.equal(didYouMean('', ['a']), '');
  });

  it('suggests a longer choice that keeps a one-letter word (a letter left out is a typo, as before one-letter rewrites were refused)', () => {
    assert.deepEqual(closestMatches('x', ['x2', 'y']), ['x2']);
    assert.equal(didYouMean('a', ['ab', 'b']), " Did you mean 'ab'?");
    assert.equal(didYouMean('b', ['ab', 'bc']), " Did you mean 'ab' or 'bc'?");
  });

  it('joins words with commas and a final or', () => {
    assert.equal(orList([]), '');
    assert.equal(orList(['a']), "'a'");
    assert.equal(orList(['a', 'b', 'c'], (w) => `--${w}`), '--a, --b or --c');
  });
});
