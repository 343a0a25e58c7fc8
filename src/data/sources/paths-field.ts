import { Transform } from 'class-transformer';

/** Lets a recipe write `path: a.txt` or `paths: [a.txt, b/*.txt]`; both become a list. */
export function PathList(): PropertyDecorator {
  return Transform(({ value }) => (typeof value === 'string' ? [value] : value));
}
