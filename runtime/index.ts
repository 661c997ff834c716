// The public surface of runtime/: other folders import only from here.

export * from './engine/index.ts';
export * from './nodes/index.ts';
export * from './store/run-status.ts';
export * from './workflow/catalog.ts';
export * from './workflow/document.ts';
export * from './workflow/expressions.ts';
export * from './workflow/parse-document-text.ts';
export * from './workflow/secret-detection.ts';
export * from './workflow/validate.ts';
export * from './workflow/validation-issue.ts';
