import { registerDecorator, ValidationArguments } from 'class-validator';

/** Prefix of the constraint names of {@link ConfigRule}s, whose messages state the values themselves. */
export const CONFIG_RULE_PREFIX = 'rule:';

/** class-validator group of the rules that need the whole recipe: checked once every section is built. */
export const WHOLE_RECIPE_GROUP = 'floe:whole-recipe';

/** Options of {@link ConfigRule}. */
export interface ConfigRuleOptions {
  /**
   * The rule reads other sections (`scheduler`, `data`): it is checked once every section is
   * built (see `wholeRecipeIssues`), where {@link recipeOf} gives a section's config the whole
   * recipe. On the trainer's config class it also runs before, with the sections still missing,
   * and must then return undefined.
   */
  wholeRecipe?: boolean;
}

const recipes = new WeakMap<object, object>();

/**
 * The whole recipe (the trainer's config) that a section's config belongs to, inside a
 * `wholeRecipe` {@link ConfigRule}; undefined elsewhere.
 */
export function recipeOf<R extends object = Record<string, unknown>>(sectionConfig: object): Partial<R> | undefined {
  return recipes.get(sectionConfig) as Partial<R> | undefined;
}

/** Records that `sectionConfig` belongs to `recipe`, for {@link recipeOf} (used by the validation machinery). */
export function attachRecipe(sectionConfig: object, recipe: object): void {
  recipes.set(sectionConfig, recipe);
}

/**
 * A rule over several settings of one config section, checked with the section's other
 * validators and reported at the decorated setting (its config path and file:line:col):
 * `problem` says what is wrong, naming the settings and values involved, or returns undefined.
 * The message follows the path as written (`model.heads: 4 heads do not divide dim 130 …`).
 * It runs on the transformed config, so it should leave values of the wrong type to the fields'
 * own validators (return undefined for them). Pure: no I/O.
 *
 * ```ts
 * @ConfigRule('headsDivideDim', (c: GptConfig) => c.dim % c.heads === 0 ? undefined : `...`)
 * heads = 4;
 * ```
 */
export function ConfigRule<C extends object>(name: string, problem: (config: C) => string | undefined, options: ConfigRuleOptions = {}): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: `${CONFIG_RULE_PREFIX}${name}`,
      target: target.constructor,
      propertyName: propertyName as string,
      options: options.wholeRecipe === true ? { groups: [WHOLE_RECIPE_GROUP] } : undefined,
      validator: {
        validate: (_value: unknown, args: ValidationArguments) => problem(args.object as C) === undefined,
        defaultMessage: (args: ValidationArguments) => problem(args.object as C) ?? '',
      },
    });
  };
}

/** Whether `value` is a finite number (a rule leaves anything else to the field's own validators). */
export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
