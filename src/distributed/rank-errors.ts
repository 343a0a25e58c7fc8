import { DisconnectedLossError } from '../autograd';
import { NonFiniteError, NonFiniteSkipsError } from '../callbacks/non-finite-guard';
import { DataPathError } from '../data/sources/glob';
import {
  BackendUnavailableError,
  CheckpointError,
  ConfigError,
  ConfigIssue,
  DataError,
  FloeError,
  RegistrationError,
  TrainingError,
  UnknownTypeError,
} from '../errors';
import { LossShapeError } from '../loss/loss-factory';
import { ModelError } from '../model/model-error';
import { OptimizerStateError } from '../optim/optimizer-state-error';
import { CollectiveMismatchError, CollectiveTimeoutError, DistributedSetupError, JobAbortedError, RankFailedError } from './distributed-errors';

/**
 * Errors about the job's ranks rather than the user's input: which rank failed, timed out or
 * stopped is the message, so they always keep their rank.
 */
const JOB_ERRORS = [JobAbortedError, RankFailedError, CollectiveTimeoutError, CollectiveMismatchError];

/**
 * Floe's error classes a rank's error is raised again as, most specific first. A class not listed
 * (a plugin's own `class MyError extends FloeError`) is raised as its nearest listed ancestor,
 * keeping its name, message and fields.
 */
const KNOWN: Array<abstract new (...args: never[]) => FloeError> = [
  DataPathError,
  OptimizerStateError,
  NonFiniteError,
  NonFiniteSkipsError,
  LossShapeError,
  DisconnectedLossError,
  ModelError,
  DistributedSetupError,
  RegistrationError,
  UnknownTypeError,
  BackendUnavailableError,
  DataError,
  CheckpointError,
  TrainingError,
  ConfigError,
  FloeError,
];

/**
 * A rank's error as it crosses to the launcher (thread) or is printed (mpi): its class chain and
 * fields, so a user-input error can be raised again as the one-process error.
 * @internal
 */
export interface RankErrorFacts {
  /** Class names from the error's own up to `Error` (`['DataPathError', 'DataError', 'FloeError', 'Error']`). */
  chain: string[];
  /** Own enumerable fields that survive a structured clone (a ConfigError's issues and header, a NonFiniteError's step). */
  fields: Record<string, unknown>;
}

/**
 * A user-input error of rank 0 (a FloeError that is not about the job's ranks: a recipe error, a
 * bad data line, a corrupt checkpoint, a plugin's failing loss) is the error one process would
 * raise: it is said with the same text and class, without `rank 0 of N failed:`.
 * @internal
 */
export function saidAsOneProcess(error: unknown): boolean {
  return error instanceof FloeError && !JOB_ERRORS.some((kind) => error instanceof kind);
}

/**
 * The input errors every rank finds alike, reading the same recipe, data and checkpoint: under
 * mpirun, a rank other than 0 leaves them to rank 0 for a moment, so they are said once.
 * @internal
 */
export function sameOnEveryRank(error: unknown): boolean {
  return error instanceof ConfigError || error instanceof DataError || error instanceof CheckpointError;
}

/**
 * Class chain and cloneable fields of `error`.
 * @internal
 */
export function rankErrorFacts(error: Error): RankErrorFacts {
  const chain: string[] = [];
  for (let proto = Object.getPrototypeOf(error) as object | null; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    chain.push((proto.constructor as { name?: string }).name ?? '');
  }
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause') continue;
    try {
      fields[key] = structuredClone(value);
    } catch {
      // A field that cannot cross (a function, a tensor) stays behind; the message says it all.
    }
  }
  return { chain, fields };
}

/**
 * The error a rank raised, rebuilt in the launcher as an instance of its class (or its nearest
 * known ancestor) with the same name, message, stack and fields. A ConfigError is built by its
 * constructor, so its message is formatted from its issues as one process's is.
 * @internal
 */
export function reviveFloeError(serialized: { name: string; message: string; stack?: string } & RankErrorFacts): FloeError {
  if (serialized.chain.includes('ConfigError')) {
    const { issues, header } = serialized.fields as { issues: ConfigIssue[]; header: string };
    const error = new ConfigError(issues, header);
    if (serialized.stack !== undefined) error.stack = serialized.stack;
    return error;
  }
  const kind = KNOWN.find((k) => serialized.chain.includes(k.name)) ?? FloeError;
  // Without the constructor: subclasses take their own arguments (a NonFiniteError's step) and
  // format the message from them; the message and those fields come as they were.
  const error = Object.create(kind.prototype as object) as FloeError;
  Object.assign(error, serialized.fields);
  Object.defineProperty(error, 'message', { value: serialized.message, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(error, 'stack', { value: serialized.stack ?? `${serialized.name}: ${serialized.message}`, writable: true, configurable: true, enumerable: false });
  error.name = serialized.name;
  return error;
}
