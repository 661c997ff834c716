export * from './errors.ts';
export * from './logger.ts';
export * from './redact.ts';
export * from './result.ts';
