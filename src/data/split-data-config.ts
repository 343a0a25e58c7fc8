import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsNumber, IsOptional, Max, Min } from 'class-validator';
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
  trainEvalSplit: [number, number] = [0.95, 0.05];

  /** Keep at most this many eval records (a count or a percentage of all records). */
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
