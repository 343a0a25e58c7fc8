import * as tf from '@tensorflow/tfjs';
import { Callback, Metrics } from '../callbacks/callback';
import { SIGNAL_EXIT_CODES } from '../callbacks/signal-stop-callback';
import { TrainerControl } from '../callbacks/trainer-control';
import { copyTensorsInto } from '../backend/host-copy';
import { DataLoader, DataShard } from '../data/data-loader';
import { TrainingError } from '../errors';
import type { GradientAccumulator } from '../optim/gradient-accumulator';
import { Rng } from '../random';
import type { Trainer } from '../trainer/trainer';
import { Communicator } from './communicator';
import { DataParallel, WindowFigures } from './data-parallel';
import { DistributedSetupError } from './distributed-errors';
import { runsOnMainRankOnly } from './main-rank-callbacks';
import { ShardedEvalLoader, shardedBatches } from './sharded-batches';
import { checkSameRecipe } from './recipe-agreement';
import { broadcastText } from './text-collectives';

interface ParamSlot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

/**
 * Data parallelism for one rank of a group (DDP semantics): each rank reads its shard of every
 * epoch, and after each accumulation cycle one all-reduce sums `[weighted gradient sums...,
 * presence flags..., weight, tokens, samples]`; dividing by the global weight gives every rank the
 * exact token-weighted mean of the global batch, before clipping. Replicas start identical (rank
 * 0's weights are broadcast) and stay so, because every rank applies the same bits.
 */
export class RankDataParallel implements DataParallel {
  readonly rank: number;
  readonly size: number;
  readonly isMain: boolean;
  private readonly shard: DataShard;
  private slots: ParamSlot[] = [];
  private exchange?: Float32Array;
  private stepsDue = 0;
  private stepsTaken = 0;
  private tokenBase = 0;
  private sampleBase = 0;
  private window = { weight: 0, tokens: 0, samples: 0 };
  private evalView?: ShardedEvalLoader<unknown>;
  private stopReasonShared = false;

  constructor(readonly communicator: Communicator) {
    this.rank = communicator.rank;
    this.size = communicator.size;
    this.isMain = communicator.rank === 0;
    this.shard = { rank: this.rank, size: this.size };
  }

  get owesOptimizerStep(): boolean {
    return this.stepsTaken < this.stepsDue;
  }

  async begin(trainer: Trainer): Promise<void> {
    await checkSameRecipe(this.communicator, trainer.config);
    const s = trainer.state;
    const mine = [s.globalStep, s.epochIndex, s.batchInEpoch];
    const root = await this.communicator.broadcast(Float32Array.from(mine), 0);
    if (mine.some((v, i) => Math.fround(v) !== root[i])) {
      throw new DistributedSetupError(
        `Rank ${this.rank} starts at step ${mine[0]} (epoch ${mine[1]}, batch ${mine[2]}) but rank 0 at step ${root[0]} (epoch ${root[1]}, batch ${root[2]}): every rank must resume from the same checkpoint (on several hosts, put the run folder on a shared file system).`,
      );
    }
    await this.broadcastWeights(trainer);
    if (this.rank > 0) {
      // Dropout and other per-step randomness differ per rank; rank 0 keeps the one-process stream.
      const base = new Rng(0);
      base.setState(trainer.rng.getState());
      trainer.rng.setState(base.fork(`rank:${this.rank}`).getState());
    }
    this.tokenBase = s.tokensSeen;
    this.sampleBase = s.samplesSeen;
  }

  epochBatches<B>(trainer: Trainer<B>, epoch: number, start: number): Iterable<B> | AsyncIterable<B> {
    const perStep = trainer.config.gradientAccumulationSteps * this.size;
    this.stepsDue = Math.ceil(Math.max(0, trainer.trainLoader.length - start) / perStep);
    this.stepsTaken = 0;
    return shardedBatches(trainer.trainLoader, epoch, start, this.shard);
  }

  async averageGradients(trainer: Trainer, accumulator: GradientAccumulator, localWeight: number): Promise<Map<string, tf.Tensor>> {
    this.stepsTaken++;
    // Frozen parameters have no gradient: they take no room in the all-reduce.
    const slots = this.layout(trainer.trainableParams);
    const total = slots.reduce((n, p) => n + p.size, 0);
    const s = trainer.state;
    // One flat buffer: [weighted sums..., presence flags..., weight, tokens, samples]. The running
    // sums are read straight into it (no averaging by 1, no concat); a rank without micro-batches
    // this cycle (uneven last cycle) contributes zeros and weight 0. The buffer is kept from step
    // to step: a new one each step would be megabytes of garbage for the collector.
    const length = total + slots.length + 3;
    const buf = (this.exchange = this.exchange?.length === length ? this.exchange : new Float32Array(length));
    const sums: tf.Tensor[] = [];
    const offsets: number[] = [];
    slots.forEach((p, i) => {
      const sum = accumulator.sum(p.name);
      buf[total + i] = sum === undefined ? 0 : 1;
      if (sum === undefined) buf.fill(0, p.offset, p.offset + p.size);
      else {
        sums.push(sum);
        offsets.push(p.offset);
      }
    });
    await copyTensorsInto(sums, buf, offsets);
    buf.set([localWeight, s.tokensSeen - this.tokenBase, s.samplesSeen - this.sampleBase], total + slots.length);
    await this.communicator.allReduceSum(buf);
    const at = total + slots.length;
    const weight = buf[at];
    if (!(weight > 0)) throw new TrainingError(`Cannot average gradients over a total weight of ${weight} across ${this.size} ranks; no rank had a micro-batch this cycle.`);
    s.tokensSeen = this.tokenBase + buf[at + 1];
    s.samplesSeen = this.sampleBase + buf[at + 2];
    this.tokenBase = s.tokensSeen;
    this.sampleBase = s.samplesSeen;
    this.window.weight += localWeight;
    this.window.tokens += buf[at + 1];
    this.window.samples += buf[at + 2];
    // The division one process does (tf.div of the summed gradient by the weight): given the same
    // sums, the same bits. A parameter no rank had a gradient for stays out, as in one process.
    const out = new Map<string, tf.Tensor>();
    tf.tidy(() => {
      const divisor = tf.scalar(weight);
      slots.forEach((p, i) => {
        if (buf[total + i] > 0) out.set(p.name, tf.keep(tf.div(tf.tensor(buf.subarray(p.offset, p.offset + p.size), p.shape, 'float32'), divisor)));
      });
    });
    return out;
  }

  async syncControl(control: TrainerControl): Promise<void> {
    const n = this.size;
    const buf = new Float32Array(4 + n);
    buf.set([+control.shouldStop, +control.shouldSave, +control.shouldEvaluate, +control.shouldLog]);
    buf[4 + this.rank] = control.shouldStop && control.stopReason !== undefined ? 1 : 0;
    await this.communicator.allReduceSum(buf);
    control.shouldStop = buf[0] > 0;
    control.shouldSave = buf[1] > 0;
    control.shouldEvaluate = buf[2] > 0;
    control.shouldLog = buf[3] > 0;
    // Every rank reports the job's stop alike: rank 0's reason, else the first rank's that has one,
    // shared once (the flags above are the same on every rank, so all or none broadcast).
    const from = buf.subarray(4).findIndex((v) => v > 0);
    if (control.shouldStop && from >= 0 && !this.stopReasonShared) {
      this.stopReasonShared = true;
      const reason = await broadcastText(this.communicator, control.stopReason ?? '', from);
      // A signal reaches every rank (the threads launcher and mpirun pass it to all), so the
      // rank that synced first says nothing; its name alone gives the exit code (130 for SIGINT).
      control.stopReason = from === 0 || reason in SIGNAL_EXIT_CODES ? reason : `${reason} (on rank ${from})`;
    }
  }

  async anyRank(flag: boolean): Promise<boolean> {
    const buf = await this.communicator.allReduceSum(Float32Array.of(flag ? 1 : 0));
    return buf[0] > 0;
  }

  async sum(values: readonly number[]): Promise<number[]> {
    return Array.from(await this.communicator.allReduceSum(Float32Array.from(values)));
  }

  async reduceWindow(local: WindowFigures): Promise<WindowFigures> {
    const w = this.window.weight;
    const buf = await this.communicator.allReduceSum(Float32Array.of(w > 0 ? local.loss * w : 0, w));
    const figures = { loss: buf[1] > 0 ? buf[0] / buf[1] : local.loss, tokens: this.window.tokens, samples: this.window.samples };
    this.window = { weight: 0, tokens: 0, samples: 0 };
    return figures;
  }

  evalLoader<B>(trainer: Trainer<B>, loader: DataLoader<B>): DataLoader<B> {
    const view = new ShardedEvalLoader<B>(loader, this.shard, (b) => trainer.batchWeight(b), trainer.config.evalMaxBatches);
    this.evalView = view as ShardedEvalLoader<unknown>;
    return view;
  }

  /**
   * Metrics every rank computed alike are kept: Floe's trainers sum their raw sums across ranks
   * (`dp.sum`) before dividing, so `eval/loss`, perplexity, exact match, accuracy, MAE and RMSE
   * arrive identical and exact. Any other metric (a subclass's own) becomes a mean over ranks
   * weighted by each rank's eval weight: exact for means over examples or tokens, close for
   * non-linear ones (a subclass wanting those exact sums its parts with `dp.sum` too).
   */
  async reduceEvalMetrics(metrics: Metrics): Promise<Metrics> {
    const names = JSON.parse(await broadcastText(this.communicator, JSON.stringify(Object.keys(metrics)), 0)) as string[];
    const mine = names.map((k) => metrics[k]);
    const rootValues = await this.communicator.broadcast(Float32Array.from(mine, (v) => v ?? NaN), 0);
    const w = this.evalView?.lastWeight ?? 0;
    const k = names.length;
    const buf = new Float32Array(3 * k);
    mine.forEach((v, i) => {
      const has = v !== undefined && w > 0;
      buf[i] = has ? (v as number) * w : 0;
      buf[k + i] = has ? w : 0;
      buf[2 * k + i] = v !== undefined && Math.fround(v) === rootValues[i] ? 0 : 1;
    });
    await this.communicator.allReduceSum(buf);
    const out: Metrics = {};
    names.forEach((name, i) => {
      if (buf[2 * k + i] === 0) out[name] = metrics[name] ?? rootValues[i];
      else out[name] = buf[k + i] > 0 ? buf[i] / buf[k + i] : NaN;
    });
    return out;
  }

  keepsCallback(callback: Callback): boolean {
    return this.isMain || !runsOnMainRankOnly(callback);
  }

  /** Copies rank 0's float32 weights into every replica. */
  private async broadcastWeights(trainer: Trainer): Promise<void> {
    const params = [...trainer.model.params.values()].filter((v) => v.dtype === 'float32');
    const flat = new Float32Array(params.reduce((n, v) => n + v.size, 0));
    if (this.isMain) {
      const values = await Promise.all(params.map((v) => v.data()));
      let at = 0;
      for (const v of values) {
        flat.set(v as Float32Array, at);
        at += v.length;
      }
    }
    await this.communicator.broadcast(flat, 0);
    if (this.isMain) return;
    let at = 0;
    for (const v of params) {
      const t = tf.tensor(flat.subarray(at, at + v.size), v.shape, 'float32');
      v.assign(t);
      t.dispose();
      at += v.size;
    }
  }

  /** Offsets of every trainable parameter in the flat gradient buffer, in the model's parameter order. */
  private layout(params: Map<string, tf.Variable>): ParamSlot[] {
    if (this.slots.length === params.size && this.slots.every((p) => params.has(p.name))) return this.slots;
    let offset = 0;
    this.slots = [...params].map(([name, v]) => {
      const slot = { name, shape: [...v.shape], offset, size: v.size };
      offset += v.size;
      return slot;
    });
    return this.slots;
  }
}
