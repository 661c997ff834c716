// The workflow document contract (schema, validator, expressions, catalog) without the engine: a second door of
// runtime/ for light callers (`vmesh schema`), re-exported by runtime/index.ts.

export * from './catalog.ts';
export * from './document.ts';
export * from './expressions.ts';
export * from './parse-document-text.ts';
export * from './secret-detection.ts';
export * from './sender-setup.ts';
export * from './validate.ts';
export * from './validation-issue.ts';
export * from './webhook-schemes-info.ts';
export * from './webhook-trigger-with.ts';
