import { ComponentConfig, ConfigClass } from '../config/component-config';
import { Component } from '../registry/component';
import { defineComponentKind } from '../registry/component-kind';
import { Tokenizer } from './tokenizer';

/** Base config of tokenizer factories (recipe section `tokenizer:`). */
export class TokenizerConfig extends ComponentConfig {}

/** Builds the run's tokenizer. */
export abstract class TokenizerFactory<C extends TokenizerConfig = TokenizerConfig> extends Component<C> {
  static override readonly kind: string = 'tokenizer';
  static override readonly configType: ConfigClass = TokenizerConfig;
  /** Builds (and loads) the tokenizer. */
  abstract createTokenizer(): Promise<Tokenizer>;
}

/** The tokenizer factory kind: trainers list them in `tokenizerFactoryType`. */
export const TOKENIZER_KIND = defineComponentKind({
  name: 'tokenizer',
  label: 'tokenizer factory',
  baseConfig: TokenizerConfig,
  requiredMethods: ['createTokenizer'],
  trainerAttribute: 'tokenizerFactoryType',
  recipeSection: 'tokenizer',
});
