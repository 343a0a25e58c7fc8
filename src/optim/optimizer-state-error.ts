import { CheckpointError } from '../errors';

/**
 * Optimizer state that this optimizer could not have written: a variable with only some of its
 * slots (an Adam `m` without its `v`, or its own step count without `m` and `v`), or a slot whose shape is not its variable's. Such state
 * comes from a damaged or hand-edited checkpoint; loading it would corrupt the next updates.
 */
export class OptimizerStateError extends CheckpointError {}
