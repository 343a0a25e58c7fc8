import { IsBoolean, IsOptional, IsString } from 'class-validator';
import { register } from '../registry/register';
import { buildLmData, LmDataLoaders } from './build-lm-data';
import { IsChatTemplateSetting, resolveChatTemplate } from './chat-template-setting';
import { DataFactory } from './data-factory';
import { LmBatch } from './lm-batch';
import { LmDataConfig } from './lm-data-config';

/** Config of `sft` data: chats (or prompt/completion pairs) with loss on the answers only. */
export class SftDataConfig extends LmDataConfig {
  /** Pack several conversations per row; they do not attend to each other and positions restart. */
  @IsBoolean()
  packing = false;

  /** System prompt added to chats without one; `{date}` becomes today's date. */
  @IsOptional()
  @IsString()
  systemPrompt?: string;

  /** How chats are written: `floe` (Floe's format), `tokenizer` (the hf tokenizer's `chat_template`), or an inline Jinja template. */
  @IsChatTemplateSetting()
  chatTemplate = 'floe';
}

/** Supervised fine-tuning data: labels masked on everything but assistant (completion) tokens. */
@register()
export class SftDataFactory extends DataFactory<SftDataConfig, LmBatch> {
  static override readonly type: string = 'sft';
  static override readonly configType = SftDataConfig;

  async createDataLoaders(): Promise<LmDataLoaders> {
    const c = this.config;
    const template = resolveChatTemplate(c.chatTemplate, this.trainer.tokenizer, this.trainer.config.tokenizer.type);
    return buildLmData(this.trainer, c, { mode: 'sft', packing: c.packing, chat: { systemPrompt: c.systemPrompt, template } });
  }
}
