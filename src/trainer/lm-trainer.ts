import * as tf from '@tensorflow/tfjs';
import { Metrics } from '../callbacks/callback';
import { LmDataLoaders, GenerationExample } from '../data/build-lm-data';
import { LmBatch } from '../data/lm-batch';
import { completeBatch } from '../model/complete-batch';
import { GptModel } from '../model/gpt-model';
import { encodePrompt } from '../tokenizer/encode-prompt';
import { resolveAddBos } from '../tokenizer/add-bos-setting';
import { chatTemplateChangeNote, checkTokenizerIdentity, TOKENIZER_IDENTITY_FILE, tokenizerIdentity } from '../tokenizer/tokenizer-identity';
import { Trainer } from './trainer';
import { TrainingResult } from './training-result';

/** One greedy completion of a held-out prompt. */
export interface SampleCompletion extends GenerationExample {
  /** What the model produced. */
  produced: string;
  /** True when it equals the expected completion. */
  correct: boolean;
}

/**
 * Shared by the language-model trainers: evaluation with perplexity and, where the data has
 * held-out prompt/completion pairs (synthetic tasks), exact-match accuracy of greedy completions.
 */
export abstract class LanguageModelTrainer extends Trainer<LmBatch> {
  /** The most recent evaluation's completions (for the end-of-run printout; data parallel, this rank's share). */
  lastSamples: SampleCompletion[] = [];

  /** The model as a GPT (LM trainers list GPT-compatible model factories). */
  get gpt(): GptModel {
    return this.model as unknown as GptModel;
  }

  /** Logits for a batch; training mode draws dropout seeds from the trainer's checkpointed RNG. */
  protected logits(batch: LmBatch): tf.Tensor3D {
    // Drawn only when the model drops anything (LoRA's dropout included), so runs without dropout keep their RNG stream.
    const dropout = this.isTraining && this.gpt.usesDropout;
    return this.gpt.forward(batch.inputIds, {
      positions: batch.positions,
      segmentIds: batch.segmentIds,
      training: this.isTraining,
      dropoutSeed: dropout ? this.rng.int(2 ** 31) : undefined,
    });
  }

  override async evaluate(): Promise<Metrics> {
    const metrics = await super.evaluate();
    if (metrics['eval/loss'] !== undefined) metrics['eval/perplexity'] = Math.exp(metrics['eval/loss']);
    const examples = (this.lmData()?.evalGenerations ?? []) as GenerationExample[];
    if (examples.length > 0) {
      // Data parallel, each rank completes every size-th prompt (generation is the slow part of
      // evaluation); the counts are summed, so the figure is the one a single process gets.
      const mine = examples.filter((_, i) => i % this.dp.size === this.dp.rank);
      this.lastSamples = mine.length > 0 ? await this.completeExamples(mine) : [];
      const [correct, total] = await this.dp.sum([this.lastSamples.filter((s) => s.correct).length, this.lastSamples.length]);
      metrics['eval/exact_match'] = correct / total;
    }
    return metrics;
  }

  /** Greedy completions of held-out prompts, compared with the expected completions. */
  async completeExamples(examples: readonly GenerationExample[]): Promise<SampleCompletion[]> {
    const tok = this.tokenizer;
    const longest = Math.max(...examples.map((e) => tok.encode(e.completion).length));
    // The prompts start as their training rows did (after bos when data.addBos resolved to true).
    const addBos = resolveAddBos((this.config.data as { addBos?: unknown }).addBos, tok);
    const produced = await completeBatch(
      this.gpt,
      examples.map((e) => encodePrompt(tok, e.prompt, { addBos })),
      { maxNewTokens: longest + 2, stopTokenId: tok.eosId, padId: tok.padId },
    );
    return examples.map((e, i) => {
      const text = tok.decode(produced[i]);
      return { ...e, produced: text, correct: text === e.completion };
    });
  }

  /** The tokenizer's identity, so loading the checkpoint with a changed tokenizer is an error. */
  override extraCheckpointFiles(): Record<string, unknown> {
    return { ...super.extraCheckpointFiles(), [TOKENIZER_IDENTITY_FILE]: tokenizerIdentity(this.tokenizer, this.config.tokenizer.type) };
  }

  override restoreExtraCheckpointFiles(files: Record<string, unknown>): void {
    super.restoreExtraCheckpointFiles(files);
    checkTokenizerIdentity(files[TOKENIZER_IDENTITY_FILE], this.tokenizer, { type: this.config.tokenizer.type, checkpoint: 'the checkpoint' });
    if ((this.config.data as { chatTemplate?: unknown }).chatTemplate === 'tokenizer') {
      const changed = chatTemplateChangeNote(files[TOKENIZER_IDENTITY_FILE], this.tokenizer, 'the checkpoint');
      if (changed !== undefined) this.logger.warn(changed);
    }
  }

  override async train(): Promise<TrainingResult> {
    const result = await super.train();
    if (!this.config.quiet && this.lastSamples.length > 0) {
      this.logger.info('sample completions (held out):');
      for (const s of this.lastSamples.slice(0, 5)) this.logger.info(`  ${s.prompt}${s.produced}   ${s.correct ? '✓' : `✗ expected ${s.completion}`}`);
    }
    return result;
  }

  private lmData(): LmDataLoaders | undefined {
    return this.dataLoaders as LmDataLoaders | undefined;
  }
}
