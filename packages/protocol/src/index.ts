export * from './error-codes.js';
export * from './event-names.js';
export * from './limits.js';
export * from './schemas.js';
export * from './signaling-fast-path.js';
export type * from './types.js';
