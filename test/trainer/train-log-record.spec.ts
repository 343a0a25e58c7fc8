import { strict as assert } from 'assert';
import { trainLogRecord } from '../../src/trainer/train-log-record';
import type { TrainerState } from '../../src/trainer/trainer-state';

describe('trainLogRecord', () => {
  const state = { globalStep: 40, epochIndex: 1 } as TrainerState;
  const figures = (tokens: number, seconds = 2) => ({ lr: 1e-3, gradNorm: 0.5, window: { loss: 2, tokens, samples: 64 }, seconds, windowSteps: 10 });

  it('gives tokens per second for batches that count tokens', () => {
    const record = trainLogRecord(state, figures(4096));
    assert.deepEqual(record, { step: 40, epoch: 1, loss: 2, lr: 1e-3, gradNorm: 0.5, tokensPerSec: 2048, samplesPerSec: 32, windowSteps: 10 });
  });

  it('leaves tokensPerSec out for batches without tokens (tabular data), keeping samples per second', () => {
    const record = trainLogRecord(state, figures(0));
    assert.equal('tokensPerSec' in record, false, JSON.stringify(record));
    assert.equal(record.samplesPerSec, 32);
    // A window of no measurable time still says 0 for what it counted.
    assert.equal(trainLogRecord(state, figures(4096, 0)).tokensPerSec, 0);
  });
});
