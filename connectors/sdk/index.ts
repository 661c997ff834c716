export * from './connector-error.ts';
export * from './define.ts';
