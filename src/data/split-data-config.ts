import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsNumber, IsOptional, Max, Min, ValidateBy } from 'class-validator';
import { Count, HumanNumber, IsCount } from '../config/human-number';
import { DataConfig } from './data-factory';

/** Settings of data factories that split their records into train and eval and batch them per epoch. */
export class SplitDataConfig extends DataConfig {
  /** Relative sizes of the train and eval splits (a seeded split of the records). */
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(2)
  @IsNumber({}, { each: true })
  @Min(0, { each: true })
  @Max(1, { each: true })
  @TrainsOnSomething()
  trainEvalSplit: [number, number] = [0.95, 0.05];

  /** Keep at most this many eval records (a count or a percentage of all records); held-out records beyond it are not trained on either (the log says how many). */
  @IsOptional()
  @HumanNumber()
  @IsCount({ min: 1, allowPercent: true })
  evalMaxSamples?: Count;

  /** Shuffle training rows each epoch (the order is fixed by seed and epoch). */
  @IsBoolean()
  shuffle = true;

  /** Skip a last, smaller batch of each epoch. */
  @IsBoolean()
  dropLast = false;
}

/** The train share of `[train, eval]` must be above 0: a run needs something to train on. */
function TrainsOnSomething(): PropertyDecorator {
  return ValidateBy({
    name: 'trainsOnSomething',
    validator: {
      validate: (value: unknown) => !Array.isArray(value) || typeof value[0] !== 'number' || value[0] > 0,
      defaultMessage: () => 'trainEvalSplit must be [train, eval] with a train share above 0: e.g. [0.95, 0.05], or [1, 0] for no eval split',
    },
  });
}
