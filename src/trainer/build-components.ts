import { Callback } from '../callbacks/callback';
import { CALLBACK_KIND } from '../callbacks/callback';
import { CheckpointEngine } from '../checkpoint/checkpoint-engine';
import { CHECKPOINT_KIND } from '../checkpoint/checkpoint-engine';
import { ComponentConfig } from '../config/component-config';
import { DATA_KIND, DataFactory } from '../data/data-factory';
import { MODEL_KIND, ModelFactory } from '../model/model-factory';
import { OPTIMIZER_KIND, OptimizerFactory } from '../optim/optimizer-factory';
import { Component } from '../registry/component';
import { ComponentKind } from '../registry/component-kind';
import { getRegistry } from '../registry/registries';
import { SCHEDULER_KIND, SchedulerFactory } from '../scheduler/scheduler-factory';
import { TOKENIZER_KIND, TokenizerFactory } from '../tokenizer/tokenizer-factory';
import { checkedLoader } from './checked-loader';
import { buildProduct, buildProductSync, checkedSchedule, describeFactory } from './product-checks';
import { TOKENS } from './run-context';
import { ConfigError } from '../errors';
import type { Trainer } from './trainer';

/**
 * Instantiates the component a config section chose (by its `type`) for `trainer`. Works for
 * user-declared kinds too: `buildComponent(trainer, getComponentKind('loss')!)`.
 */
export function buildComponent<T extends Component>(trainer: Trainer, kind: ComponentKind, config?: ComponentConfig): T {
  const section = config ?? ((trainer.config as unknown as Record<string, unknown>)[kind.recipeSection ?? kind.name] as ComponentConfig);
  const cls = getRegistry(kind.name).get(section.type, { path: `${kind.recipeSection ?? kind.name}.type` }) as unknown as new (t: Trainer, c: ComponentConfig) => T;
  return new cls(trainer, section);
}

/**
 * Builds the run's parts in dependency order — tokenizer, data, model, optimizer, scheduler,
 * checkpoint engines, callbacks — and registers each in the run's container.
 */
export async function buildTrainerComponents(trainer: Trainer): Promise<void> {
  const { container, logger } = trainer.context;
  const tokenizerFactory = buildComponent<TokenizerFactory>(trainer, TOKENIZER_KIND);
  trainer.factories.set('tokenizer', tokenizerFactory);
  trainer.tokenizer = await buildProduct('tokenizer', tokenizerFactory, () => tokenizerFactory.createTokenizer());
  container.registerInstance(TOKENS.tokenizer, trainer.tokenizer);

  const dataFactory = buildComponent<DataFactory>(trainer, DATA_KIND);
  trainer.factories.set('data', dataFactory);
  const loaders = await buildProduct('data', dataFactory, () => dataFactory.createDataLoaders());
  trainer.dataLoaders = loaders;
  // Checked as they yield: a plugin's wrong batches are reported naming its factory.
  trainer.trainLoader = checkedLoader(loaders.train, describeFactory('data', dataFactory), 'train');
  trainer.evalLoader = loaders.eval === undefined ? undefined : checkedLoader(loaders.eval, describeFactory('data', dataFactory), 'eval');
  // Evaluating whole files (floe evaluate --data) reads no training data.
  const evalData = trainer.context.evalData;
  if (evalData !== undefined && loaders.evalSummary?.files === undefined) {
    throw new ConfigError([{ path: 'data.type', message: `data factory '${trainer.config.data.type}' cannot evaluate whole files (--data ${evalData.paths.join(', ')}); its loaders do not report them in evalSummary.files. The built-in causal, sft, dpo and tabular data can` }]);
  }
  if (loaders.train.length === 0 && evalData === undefined) {
    throw new ConfigError([{ path: 'data', message: `the training split has no batches (${loaders.train.numExamples} examples, microBatchSize ${trainer.config.microBatchSize})` }]);
  }

  const accumulationNote = evalData === undefined ? accumulationWarning(trainer.config, loaders.train.length, trainer.dp.size) : undefined;
  if (accumulationNote !== undefined && trainer.dp.isMain) logger.warn(accumulationNote);

  const modelFactory = buildComponent<ModelFactory>(trainer, MODEL_KIND);
  trainer.factories.set('model', modelFactory);
  trainer.model = await buildProduct('model', modelFactory, () => modelFactory.createModel());
  container.registerInstance(TOKENS.model, trainer.model);
  if (!trainer.config.quiet) logger.info(`model: ${trainer.model.parameterCount().toLocaleString('en-US')} parameters`);
  // `freeze:` patterns are checked here, once the model's names are known and before any step.
  const frozen = trainer.frozenParams.summary();
  if (frozen !== undefined && !trainer.config.quiet) logger.info(frozen);

  const optimizerFactory = buildComponent<OptimizerFactory>(trainer, OPTIMIZER_KIND);
  trainer.factories.set('optimizer', optimizerFactory);
  trainer.optimizer = buildProductSync('optimizer', optimizerFactory, () => optimizerFactory.createOptimizer());
  container.registerInstance(TOKENS.optimizer, trainer.optimizer);

  const schedulerFactory = buildComponent<SchedulerFactory>(trainer, SCHEDULER_KIND);
  trainer.factories.set('scheduler', schedulerFactory);
  // Evaluating whole files takes no optimizer step, and a schedule's horizon follows training data it does not read.
  trainer.scheduler = evalData !== undefined ? () => 0 : checkedSchedule(schedulerFactory, buildProductSync('scheduler', schedulerFactory, () => schedulerFactory.createSchedule()));
  container.registerInstance(TOKENS.scheduler, trainer.scheduler);

  trainer.checkpointEngines = trainer.config.checkpoint.map((c) => buildComponent<CheckpointEngine>(trainer, CHECKPOINT_KIND, c));
  trainer.factories.set('checkpoint', trainer.checkpointEngines);
  trainer.factories.set('callbacks', trainer.config.callbacks.map((c) => buildComponent<Callback>(trainer, CALLBACK_KIND, c)));
}

/**
 * An accumulation longer than an epoch: each epoch still ends its partial cycle with one optimizer
 * step (as HF's Trainer does), so the global batch is the epoch, not what the recipe asks for.
 * @internal
 */
export function accumulationWarning(config: { gradientAccumulationSteps: number; microBatchSize: number }, batchesPerEpoch: number, ranks: number): string | undefined {
  const perStep = config.gradientAccumulationSteps * ranks;
  if (perStep <= batchesPerEpoch) return undefined;
  const asked = ranks === 1 ? `gradientAccumulationSteps ${config.gradientAccumulationSteps}` : `gradientAccumulationSteps ${config.gradientAccumulationSteps} × ${ranks} ranks`;
  const most = Math.max(1, Math.floor(batchesPerEpoch / ranks));
  const examples = (n: number): string => (n * config.microBatchSize).toLocaleString('en-US');
  // Fewer micro-batches than ranks: no accumulation setting helps, fewer ranks (or smaller micro-batches) do.
  const fix =
    batchesPerEpoch < ranks
      ? `${ranks - batchesPerEpoch} of the ${ranks} ranks have no micro-batch and only wait: train on at most ${batchesPerEpoch} rank${batchesPerEpoch === 1 ? '' : 's'} (distributed.workers, or mpirun -np), or use more data or a smaller microBatchSize.`
      : `Set gradientAccumulationSteps to at most ${most}, or use more data or a larger microBatchSize.`;
  return (
    `${asked} asks for ${perStep} micro-batches per optimizer step, but an epoch has only ${batchesPerEpoch} (microBatchSize ${config.microBatchSize}), ` +
    `so each epoch makes one optimizer step of its ${batchesPerEpoch}: a global batch of up to ${examples(batchesPerEpoch)} examples, not ${examples(perStep)}. ` +
    fix
  );
}
