import { SafetensorsCheckpointEngine } from '../checkpoint/export/safetensors-checkpoint-engine';
import { TfjsCheckpointEngine } from '../checkpoint/export/tfjs-checkpoint-engine';
import { FloeCheckpointEngine } from '../checkpoint/floe-checkpoint-engine';
import { AdamOptimizerFactory } from '../optim/adam-optimizer-factory';
import { AdamWOptimizerFactory } from '../optim/adamw-optimizer-factory';
import { SgdOptimizerFactory } from '../optim/sgd-optimizer-factory';
import {
  ConstantSchedulerFactory,
  CosineSchedulerFactory,
  InverseSqrtSchedulerFactory,
  LinearSchedulerFactory,
  WsdSchedulerFactory,
} from '../scheduler/builtin-schedulers';
import { ByteTokenizerFactory } from '../tokenizer/byte-tokenizer-factory';
import { HfTokenizerFactory } from '../tokenizer/hf-tokenizer-factory';

/** The base Trainer's factory lists, default first. */
export const DEFAULT_FACTORY_LISTS = {
  tokenizer: [ByteTokenizerFactory, HfTokenizerFactory],
  optimizer: [AdamWOptimizerFactory, AdamOptimizerFactory, SgdOptimizerFactory],
  scheduler: [ConstantSchedulerFactory, LinearSchedulerFactory, CosineSchedulerFactory, WsdSchedulerFactory, InverseSqrtSchedulerFactory],
  checkpoint: [FloeCheckpointEngine, SafetensorsCheckpointEngine, TfjsCheckpointEngine],
} as const;
