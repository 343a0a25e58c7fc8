import { register } from '../registry/register';
import { ByteTokenizer } from './byte-tokenizer';
import { Tokenizer } from './tokenizer';
import { TokenizerConfig, TokenizerFactory } from './tokenizer-factory';

/** Config of the `byte` tokenizer: nothing to set (UTF-8 bytes plus bos/eos/pad). */
export class ByteTokenizerConfig extends TokenizerConfig {}

/** UTF-8 bytes as tokens (vocabulary 259: 256 bytes + bos, eos, pad). Needs no files. */
@register()
export class ByteTokenizerFactory extends TokenizerFactory<ByteTokenizerConfig> {
  static override readonly type: string = 'byte';
  static override readonly configType = ByteTokenizerConfig;

  async createTokenizer(): Promise<Tokenizer> {
    return new ByteTokenizer();
  }
}
