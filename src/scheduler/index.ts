export * from './lr-schedule';
export * from './constant-schedule';
export * from './linear-schedule';
export * from './cosine-schedule';
export * from './wsd-schedule';
export * from './inverse-sqrt-schedule';
export * from './make-schedule';
