export * from './error-codes.js';
export * from './frames.js';
export * from './limits.js';
export * from './parse.js';
export * from './result.js';
export * from './session-id.js';
export * from './relay-text.js';
