export * from './errors.ts';
export * from './html.ts';
export * from './logger.ts';
export * from './process-guards.ts';
export * from './redact.ts';
export * from './result.ts';
export * from './tracing/index.ts';
export * from './version.ts';
