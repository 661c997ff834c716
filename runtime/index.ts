// The public surface of runtime/: other folders import only from here.

export * from './engine/index.ts';
export { RUN_FAILED_TASK } from './engine/tasks.ts';
export * from './engine/worker-schema.ts';
export * from './nodes/index.ts';
export { contentHash } from './store/content-hash.ts';
export * from './workflow/index.ts';
