import { strict as assert } from 'assert';
import { validateRecipe } from '../../src';
import { expectConfigError } from '../config/recipe-dir';

/** A supervised classifier recipe on generated spirals with `model` and `loss` merged over the defaults. */
function classifier(model: Record<string, unknown>, loss: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'supervised',
    data: { type: 'tabular', sources: [{ type: 'synthetic-tabular', generator: 'spirals', count: 60, classes: 3 }] },
    model: { type: 'mlp', hidden: [8], ...model },
    loss,
  };
}

describe('MlpModelFactory', () => {
  it('refuses an output activation the loss applies again, or a raw output read as probabilities', async () => {
    const cases: Array<[Record<string, unknown>, Record<string, unknown>, RegExp]> = [
      [{ outputActivation: 'softmax' }, { type: 'cross-entropy' }, /is 'softmax' but loss cross-entropy takes logits and applies the softmax itself/],
      [{ outputActivation: 'sigmoid' }, { type: 'binary-cross-entropy' }, /is 'sigmoid' but loss binary-cross-entropy takes logits and applies the sigmoid itself/],
      [{}, { type: 'cross-entropy', fromLogits: false }, /is 'linear' but loss cross-entropy with loss.fromLogits: false reads probabilities: use outputActivation: softmax/],
    ];
    for (const [model, loss, message] of cases) {
      const error = await expectConfigError(validateRecipe(classifier(model, loss)));
      assert.deepEqual(error.issues.map((i) => i.path), ['model.outputActivation'], error.message);
      assert.match(error.message, message);
    }
  });

  it('accepts logits into a loss that takes logits, probabilities into one that reads them, and any output for regression', async () => {
    await validateRecipe(classifier({}, { type: 'cross-entropy' }));
    await validateRecipe(classifier({ outputActivation: 'softmax' }, { type: 'cross-entropy', fromLogits: false }));
    await validateRecipe(classifier({ outputActivation: 'sigmoid' }, { type: 'binary-cross-entropy', fromLogits: false }));
    await validateRecipe(classifier({ outputActivation: 'tanh' }, { type: 'mse' }));
  });
});
