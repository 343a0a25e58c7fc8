import { strict as assert } from 'assert';
import { formatLogLine, formatMetricValue } from '../../src/trainer/batch-stats';

describe('formatLogLine', () => {
  const record = { step: 3, epoch: 0, loss: 2.345678, lr: 1e-3, gradNorm: 0.91234, tokensPerSec: 2345.4, samplesPerSec: 10 };

  it('shows step/horizon, epoch, loss, lr, grad norm and throughput', () => {
    assert.equal(formatLogLine(record, 200), 'step 3/200 | epoch 0 | loss 2.3457 | lr 1.00e-3 | grad 0.912 | 2,345 tok/s');
  });

  it('shows a loss or grad norm too small for its decimals in exponent form, not as 0.0000', () => {
    assert.equal(formatLogLine({ ...record, loss: 3.2109e-5, gradNorm: 0.0004567 }, 200), 'step 3/200 | epoch 0 | loss 3.21e-5 | lr 1.00e-3 | grad 4.57e-4 | 2,345 tok/s');
    assert.equal(formatLogLine({ ...record, loss: 0.0012345, gradNorm: 0 }, 200), 'step 3/200 | epoch 0 | loss 0.0012 | lr 1.00e-3 | grad 0.000 | 2,345 tok/s');
    assert.equal(formatMetricValue(-0.00002, 4), '-2.00e-5');
    assert.equal(formatMetricValue(undefined, 4), 'n/a');
  });

  it('shows a diverged loss or grad norm as NaN / Infinity, not as a missing n/a', () => {
    assert.equal(formatLogLine({ ...record, loss: NaN, gradNorm: Infinity }, 200), 'step 3/200 | epoch 0 | loss NaN | lr 1.00e-3 | grad Infinity | 2,345 tok/s');
  });
});
