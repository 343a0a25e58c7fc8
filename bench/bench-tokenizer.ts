import { register } from '../src/registry/register';
import { CausalTrainer } from '../src/trainer/causal-trainer';
import type { FactoryList } from '../src/trainer/trainer-kind';
import { TokenizerConfig, TokenizerFactory } from '../src/tokenizer/tokenizer-factory';
import type { Tokenizer } from '../src/tokenizer/tokenizer';

/**
 * ASCII bytes as ids 0..127 and three specials, in a vocabulary of 256: the benchmark's model keeps
 * PERF.md's vocab 256, which the byte tokenizer's 259 ids would now refuse (model.vocabSize must
 * cover the tokenizer). The benchmark feeds its own batches; this only builds the unused loader
 * of synthetic addition, which is ASCII.
 */
class BenchAsciiTokenizer implements Tokenizer {
  readonly bosId = 253;
  readonly eosId = 254;
  readonly padId = 255;
  readonly vocabSize = 256;
  readonly fingerprint = 'bench-ascii-v1';

  encode(text: string): number[] {
    return Array.from(text, (c) => {
      const code = c.codePointAt(0) ?? 0;
      if (code >= 128) throw new Error(`bench-ascii tokenizer: '${c}' is not ASCII`);
      return code;
    });
  }

  decode(ids: readonly number[]): string {
    return String.fromCharCode(...ids.filter((id) => id < 128));
  }
}

/** Registers `tokenizer: { type: bench-ascii }` for the benchmark's recipe. */
@register()
export class BenchAsciiTokenizerFactory extends TokenizerFactory<TokenizerConfig> {
  static override readonly type: string = 'bench-ascii';
  static override readonly configType = TokenizerConfig;

  async createTokenizer(): Promise<Tokenizer> {
    return new BenchAsciiTokenizer();
  }
}

/** The causal trainer, allowed the benchmark's tokenizer: its steps are CausalTrainer's own. */
@register()
export class BenchCausalTrainer extends CausalTrainer {
  static override readonly type: string = 'bench-causal';
  static override readonly tokenizerFactoryType: FactoryList = [BenchAsciiTokenizerFactory];
}
