import { HfCheckpointEngine } from '../checkpoint/export/hf-checkpoint-engine';
import { SafetensorsCheckpointEngine } from '../checkpoint/export/safetensors-checkpoint-engine';
import { TfjsCheckpointEngine } from '../checkpoint/export/tfjs-checkpoint-engine';
import { FloeCheckpointEngine } from '../checkpoint/floe-checkpoint-engine';
import { AdamOptimizerFactory } from '../optim/adam-optimizer-factory';
import { AdamWOptimizerFactory } from '../optim/adamw-optimizer-factory';
import { SgdOptimizerFactory } from '../optim/sgd-optimizer-factory';
import { ConstantSchedulerFactory } from '../scheduler/constant-scheduler-factory';
import { CosineSchedulerFactory } from '../scheduler/cosine-scheduler-factory';
import { InverseSqrtSchedulerFactory } from '../scheduler/inverse-sqrt-scheduler-factory';
import { LinearSchedulerFactory } from '../scheduler/linear-scheduler-factory';
import { WsdSchedulerFactory } from '../scheduler/wsd-scheduler-factory';
import { ByteTokenizerFactory } from '../tokenizer/byte-tokenizer-factory';
import { HfTokenizerFactory } from '../tokenizer/hf-tokenizer-factory';

/** The base Trainer's factory lists, default first. */
export const DEFAULT_FACTORY_LISTS = {
  /** Tokenizer factories: `byte`, `hf`. */
  tokenizer: [ByteTokenizerFactory, HfTokenizerFactory],
  /** Optimizer factories: `adamw`, `adam`, `sgd`. */
  optimizer: [AdamWOptimizerFactory, AdamOptimizerFactory, SgdOptimizerFactory],
  /** Scheduler factories: `constant`, `linear`, `cosine`, `wsd`, `inverse-sqrt`. */
  scheduler: [ConstantSchedulerFactory, LinearSchedulerFactory, CosineSchedulerFactory, WsdSchedulerFactory, InverseSqrtSchedulerFactory],
  /** Checkpoint engines: `floe`, `safetensors`, `tfjs`, `hf`. */
  checkpoint: [FloeCheckpointEngine, SafetensorsCheckpointEngine, TfjsCheckpointEngine, HfCheckpointEngine],
} as const;
