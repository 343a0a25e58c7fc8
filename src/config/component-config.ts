import { IsOptional, IsString } from 'class-validator';

/**
 * Base of every component's config class. A recipe section such as
 * `optimizer: { type: adamw, lr: 1e-3 }` becomes an instance of the config class of the
 * component whose `type` is `adamw`.
 */
export class ComponentConfig {
  /** Registry key of the component; the word a recipe writes as `type:`. Defaults to the first allowed type. */
  @IsOptional()
  @IsString()
  type!: string;
}

/** A config class: constructible with no arguments, fields filled by class-transformer. */
export type ConfigClass<C extends ComponentConfig = ComponentConfig> = new () => C;
