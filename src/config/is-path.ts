import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { formatValue } from './format-value';

/** Why `value` is not a usable path, or undefined when it is one. */
function pathProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be a path (a non-empty string), got ${formatValue(value)}`;
  if (value.trim() === '') return `must name a file or folder, got ${formatValue(value)} (an empty path would be the folder it is relative to)`;
  return undefined;
}

/**
 * A path setting (`outputDir`, `tokenizer.path`, each of `paths`): a string that is not empty or
 * blank. An empty path resolves to the folder it is relative to, which no path setting means.
 * With `{ each: true }` every item of a list is checked and the message names the first bad one
 * (`paths[1]`). One message per bad value, missing included. Pure.
 */
export function IsPath(validationOptions?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isPath',
      target: target.constructor,
      propertyName: propertyName as string,
      options: validationOptions,
      validator: {
        validate: (value: unknown) => pathProblem(value) === undefined,
        defaultMessage(args: ValidationArguments): string {
          if (validationOptions?.each === true && Array.isArray(args.value)) {
            const index = args.value.findIndex((item) => pathProblem(item) !== undefined);
            return `${args.property}[${index}] ${pathProblem(args.value[index]) ?? ''}`;
          }
          if (args.value === undefined) return `${args.property} must be a path (a non-empty string)`;
          return `${args.property} ${pathProblem(args.value) ?? ''}`;
        },
      },
    });
  };
}
