import type { TrainerControl } from '../callbacks/trainer-control';
import type { TrainerState } from './trainer-state';

/**
 * The epochs still to run, from the current one, until `epochs` or a stop: each one after it
 * finished moves the state to the next epoch's start. `state` is read afresh (a restore replaces it).
 */
export function* remainingEpochs(state: () => TrainerState, epochs: number, control: TrainerControl): Generator<number> {
  while (state().epochIndex < epochs && !control.shouldStop) {
    yield state().epochIndex;
    if (control.shouldStop) return;
    state().epochIndex++;
    state().batchInEpoch = 0;
  }
}
