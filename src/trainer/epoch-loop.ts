import * as tf from '@tensorflow/tfjs';
import { accumulateMicroBatch, CycleParts } from './cycle-micro-batches';
import { EventLoopTurns } from './event-loop-turns';
import { IdleEpochWatch } from './idle-epoch-watch';
import { StepWatch } from './step-watch';
import type { Trainer } from './trainer';

/** What {@link EpochLoop} shares with its trainer: the accumulation cycle's parts and the optimizer step. */
export interface EpochLoopParts {
  /** The trainer's gradient cycle, metrics, non-finite guard and train log. */
  cycleParts: CycleParts;
  /** The trainer's (overridable) `optimizerStep()`. */
  optimizerStep: () => Promise<void>;
}

/**
 * The bodies of `Trainer.epoch()` and `Trainer.step()`: one pass over an epoch's batches and one
 * micro-batch of the accumulation cycle, with the watches that catch an override forgetting to
 * await its `super` call. The methods stay on Trainer (users override them); this holds the work.
 */
export class EpochLoop {
  /** Reports a `step()` override that did not await `super.step(batch)`. */
  readonly stepWatch = new StepWatch();
  /** Reports an `epoch()` override that did not await `super.epoch()`. */
  readonly epochWatch = new StepWatch({ method: 'epoch', superCall: 'super.epoch()', why: 'the run would end, save and report while the epoch still trains' });
  private readonly idleEpochs = new IdleEpochWatch();
  private readonly eventLoop = new EventLoopTurns();

  constructor(
    private readonly trainer: Trainer,
    private readonly parts: EpochLoopParts,
  ) {}

  /** One pass over this epoch's remaining batches (a final partial accumulation cycle still steps). */
  async pass(): Promise<void> {
    const t = this.trainer;
    const cycle = this.parts.cycleParts.cycle;
    await t.callbackList.epochBegin();
    this.idleEpochs.begin(this.trainingProgress());
    let stoppedEarly = false;
    for await (const batch of t.trainBatches) {
      this.idleEpochs.batchRan();
      try {
        await t.step(batch);
        await this.stepWatch.check(t.constructor.name);
      } finally {
        tf.dispose(batch as unknown as tf.TensorContainer);
      }
      await this.eventLoop.maybeTurn();
      // Data parallel, ranks stop together at an optimizer step (where their flags are synced).
      stoppedEarly = t.control.shouldStop && (t.dp.size === 1 || cycle.microBatches === 0);
      if (stoppedEarly) break;
    }
    // A rank with no batch left in an uneven last cycle still joins that step, with weight 0. Data
    // parallel, a stop not yet synced (asked for mid-cycle on some rank) finishes the cycle here too.
    const finishesCycle = !t.control.shouldStop || (t.dp.size > 1 && !stoppedEarly);
    if (finishesCycle && (cycle.microBatches > 0 || t.dp.owesOptimizerStep)) await this.parts.optimizerStep();
    this.idleEpochs.check({ owner: t.constructor.name, progress: this.trainingProgress(), logger: t.logger });
    await t.callbackList.epochEnd();
    if (!t.control.shouldStop) await t.checkpoint('epoch');
    await t.dp.syncControl(t.control);
  }

  /** One micro-batch: accumulated into the cycle, which makes an optimizer step once full. */
  async microBatch(batch: unknown): Promise<void> {
    const t = this.trainer;
    const cycle = this.parts.cycleParts.cycle;
    this.idleEpochs.baseStepRan();
    if (cycle.microBatches === 0) {
      cycle.begin(t.state, t.rng);
      await t.callbackList.stepBegin();
    }
    accumulateMicroBatch(t, batch, this.parts.cycleParts);
    if (cycle.microBatches === t.config.gradientAccumulationSteps) await this.parts.optimizerStep();
  }

  /** Optimizer steps plus direct optimizer updates: whether an epoch trained at all. */
  private trainingProgress(): number {
    const t = this.trainer;
    return t.state.globalStep + (t.optimizer?.stepCount ?? 0);
  }
}
