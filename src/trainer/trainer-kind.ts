import { defineComponentKind } from '../registry/component-kind';
import { TrainerConfig } from './trainer-config';

/** A factory list: classes of one kind, default first (a single class counts as a list of one). */
export type FactoryList = readonly Function[] | Function;

/** The trainer kind. A trainer's lists name the factories a recipe may choose from. */
export const TRAINER_KIND = defineComponentKind({
  name: 'trainer',
  label: 'trainer',
  baseConfig: TrainerConfig,
  requiredMethods: ['loss'],
});
