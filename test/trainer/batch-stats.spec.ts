import { strict as assert } from 'assert';
import { formatLogLine } from '../../src/trainer/batch-stats';

describe('formatLogLine', () => {
  const record = { step: 3, epoch: 0, loss: 2.345678, lr: 1e-3, gradNorm: 0.91234, tokensPerSec: 2345.4, samplesPerSec: 10 };

  it('shows step/horizon, epoch, loss, lr, grad norm and throughput', () => {
    assert.equal(formatLogLine(record, 200), 'step 3/200 | epoch 0 | loss 2.3457 | lr 1.00e-3 | grad 0.912 | 2,345 tok/s');
  });

  it('shows a diverged loss or grad norm as NaN / Infinity, not as a missing n/a', () => {
    assert.equal(formatLogLine({ ...record, loss: NaN, gradNorm: Infinity }, 200), 'step 3/200 | epoch 0 | loss NaN | lr 1.00e-3 | grad Infinity | 2,345 tok/s');
  });
});
