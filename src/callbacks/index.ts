export * from './callback';
export * from './callback-list';
export * from './trainer-control';
export * from './writers';
