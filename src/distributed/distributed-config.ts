import { IsBoolean, IsIn, IsInt, IsNumber, Min, registerDecorator, ValidationArguments } from 'class-validator';

/** Data-parallel transports a recipe may ask for, default first. */
export const DISTRIBUTED_BACKENDS = ['auto', 'threads', 'mpi', 'none'] as const;

/** One of {@link DISTRIBUTED_BACKENDS}. */
export type DistributedBackend = (typeof DISTRIBUTED_BACKENDS)[number];

/**
 * Data parallelism (`distributed:` in a recipe; `distributed: none` is short for
 * `{ backend: none }`). Every rank trains a replica on its shard of each global batch; gradients
 * are averaged across ranks before clipping, so the replicas stay identical.
 */
export class DistributedConfig {
  /**
   * `auto`: `mpi` when started by mpirun, else `threads` when `workers` resolves to more than 1,
   * else `none`. `threads`: worker threads in this process. `mpi`: one rank per mpirun process.
   */
  @IsIn(DISTRIBUTED_BACKENDS as unknown as string[])
  backend: DistributedBackend = 'auto';

  /** Worker threads for the `threads` backend: a number, or `auto` for the usable cores. */
  @IsWorkers()
  workers: number | 'auto' = 'auto';

  /** Seconds a rank waits for the others in one collective before the job fails naming the ranks. */
  @IsNumber()
  @Min(1)
  timeoutSec = 300;

  /**
   * V8 young-generation size of each worker thread (`threads` backend), in MiB; 0 keeps Node's
   * default (48 on 64-bit). Each step leaves ~2 MB of short-lived JS objects (tensor handles,
   * autograd tape); at 128 they are collected half as often, which frees 1–2% of a core of
   * garbage-collection work on the cores the ranks share. Costs up to ~85 MiB more memory per worker.
   */
  @IsInt()
  @Min(0)
  workerYoungGenerationMb = 128;

  /**
   * V8's allocation-site pretenuring while a `threads` or `mpi` job trains. Off by default: a
   * collection that lands mid-step finds that step's tensor handles and tape entries alive, so V8
   * starts allocating them straight into old space, where they die and cost major collections
   * (~0.3 MB of old space a step per rank instead of ~17 KB). With every core running a rank, that
   * work is taken from training: turning it off cut the V8 helper threads' CPU from 6.4% to 2.7%
   * of a core and gained 2–3% tokens/s on 2 workers. Floe turns the flag back on when the job
   * ends, and leaves it alone when Node was started with `--(no-)allocation-site-pretenuring`.
   * `true` keeps V8's default.
   */
  @IsBoolean()
  allocationSitePretenuring = false;
}

/** `auto` or a positive integer. */
function IsWorkers(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isWorkers',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => value === 'auto' || (typeof value === 'number' && Number.isInteger(value) && value >= 1),
        defaultMessage: (args: ValidationArguments) => `${args.property} must be 'auto' or a whole number >= 1, got ${JSON.stringify(args.value)}`,
      },
    });
  };
}
